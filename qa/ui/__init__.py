"""`qa chat`: the Gradio page (app) and its Gradio-free half (render). Importing this package imports no Gradio."""
