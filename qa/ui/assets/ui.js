() => {
  // A [n] badge in an answer opens that answer's sources and brings citation n into view.
  document.addEventListener("click", (event) => {
    const link = event.target.closest && event.target.closest('a[href^="#qa-src-"]');
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    const target = document.getElementById(link.getAttribute("href").slice(1));
    if (!target) return;
    const turn = target.closest("details");
    if (turn) turn.open = true;
    document.querySelectorAll(".qa-source.qa-focus").forEach((el) => el.classList.remove("qa-focus"));
    target.classList.add("qa-focus");
    target.scrollIntoView({ behavior: "smooth", block: "nearest" });
  }, true);
}
