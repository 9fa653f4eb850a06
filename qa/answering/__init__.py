"""Answering from retrieved passages: read what the question asks (question), answer by quoting sentences
(extractive) or with a model (generate), check citations (cite), and keep article text from acting as instructions
(guard). Prompts are files in prompts/, loaded by name (prompts).
"""
