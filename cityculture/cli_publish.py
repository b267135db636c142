"""The ``publish`` and ``serve`` commands: put the data on the web as linked data.

``publish`` writes a static site (dumps, DCAT/VoID description, ontology documentation, one
page per resource with Turtle and JSON-LD twins); ``serve`` serves it with content
negotiation and a read-only SPARQL endpoint, under uvicorn.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import click

from cityculture.cli_backend import (
    EndpointOptions,
    check_store_path,
    endpoint_options,
    open_store,
    store_failure,
)
from cityculture.interruption import deferred, undo_on_interrupt
from cityculture.progress import stage
from cityculture.publish.describe import Publisher, PublisherError, load_publisher, publisher_types
from cityculture.publish.iris import DEFAULT_BASE, check_base_iri
from cityculture.store.remote import EndpointError


def _base(_ctx: click.Context, _param: click.Parameter, value: str) -> str:
    try:
        return check_base_iri(value)
    except ValueError as exc:
        raise click.BadParameter(str(exc)) from exc


def _existing_store(_ctx: click.Context, _param: click.Parameter,
                    value: Path | None) -> Path | None:
    if value is not None:
        check_store_path(value)
    return value


_STORE = click.option("--store", "store_path", default=None, callback=_existing_store,
                      type=click.Path(file_okay=False, path_type=Path),
                      help="Publish this embedded store directory instead of the bundled "
                           "example.")
_BASE = click.option("--base-iri", "base", default=DEFAULT_BASE, show_default=True,
                     callback=_base, help="The base of every published IRI; IRIs under "
                                          f"{DEFAULT_BASE} are rewritten to it.")


def _publish(outdir: Path, store_path: Path | None, base: str,
             publisher: Publisher | None = None, endpoint: EndpointOptions | None = None,
             progress: Callable[[int, int], None] | None = None, workers: int = 1) -> None:
    from cityculture import pipeline
    from cityculture.publish.site import PublishError

    if store_path is not None and endpoint is not None:
        raise click.UsageError("give --store or --endpoint, not both")
    with stage(f"publishing to {outdir}", unit="documents") as current:
        def report(done: int, total: int) -> None:
            current.update(done, total)
            if progress is not None:
                progress(done, total)

        if store_path is None and endpoint is None:
            store = pipeline.example().store
        else:
            store = open_store(store_path, endpoint)
        try:
            site = pipeline.publish(store, outdir, base=base, publisher=publisher,
                                    progress=report, workers=workers)
        except PublishError as exc:
            raise click.ClickException(str(exc)) from None
        except EndpointError as exc:
            raise store_failure(exc) from None
        finally:
            store.close()
    click.echo(f"published {site.pages} pages and {len(site.dumps)} dumps to {outdir} "
               f"(base {base}): {site.rewritten} files written, {len(site.removed)} stale "
               "files removed", err=True)


def _publisher(file: Path | None, **options: str | None) -> Publisher:
    """Return the publisher of --publisher-file, overridden by the options."""
    try:
        if file is not None:
            return load_publisher(file, **options)
        return replace(Publisher(), **{k: v for k, v in options.items() if v is not None}
                       ).checked()
    except PublisherError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("publish")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@_STORE
@_BASE
@click.option("--publisher", "name", default=None,
              help="The publisher's name (dct:publisher, foaf:name).  [default: The "
                   "cityculture project]")
@click.option("--publisher-homepage", "homepage", default=None, metavar="URL",
              help="The publisher's home page (foaf:homepage).")
@click.option("--publisher-type", "type_", default=None, metavar="CODE",
              help="The kind of publisher, an ADMS publisher type: " + ", ".join(
                  sorted(publisher_types())) + ".")
@click.option("--contact-email", "email", default=None, metavar="ADDRESS",
              help="Contact point e-mail (dcat:contactPoint, vcard:hasEmail).")
@click.option("--contact-url", "contact_url", default=None, metavar="URL",
              help="Contact point web page or form (vcard:hasURL).")
@click.option("--publisher-file", "publisher_file", default=None,
              type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A TOML file with the keys name, homepage, type, email, contact_url; "
                   "the options above override it.")
@click.option("--workers", default=None, type=click.IntRange(1, 64),
              help="Processes writing the pages (the site is the same whatever the number). "
                   " [default: the processors available, at most 4]")
@endpoint_options
def publish(outdir: Path, store_path: Path | None, base: str, name: str | None,
            homepage: str | None, type_: str | None, email: str | None,
            contact_url: str | None, publisher_file: Path | None, workers: int | None,
            endpoint: EndpointOptions | None) -> None:
    """Publish the example (or --store, or --endpoint) as linked data into OUTDIR.

    Writes dumps (Turtle, N-Triples, JSON-LD, RDF/XML for the ontology), a DCAT-AP 3
    catalog with VoID statistics (catalog.ttl, dataset.ttl), the ontology's documentation,
    one page per city, nation, indicator, element, assessment run and every other resource,
    each with Turtle and JSON-LD twins, schema.org markup on the home page, sitemap.xml and
    robots.txt. The contact point is written when --contact-email or --contact-url is given.

    Publishing again into the same OUTDIR writes only the files whose content changed and
    removes the files the previous publish wrote that are no longer produced (site.json
    lists them); no other file in OUTDIR is touched.
    """
    publisher = _publisher(publisher_file, name=name, homepage=homepage, type=type_,
                           email=email, contact_url=contact_url)
    _publish(outdir, store_path, base, publisher, endpoint,
             workers=workers if workers is not None else min(4, len(os.sched_getaffinity(0))))


@click.command("serve")
@click.argument("site", required=False, type=click.Path(file_okay=False, exists=True,
                                                         path_type=Path))
@_STORE
@_BASE
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--timeout", "query_timeout", default=10.0, show_default=True, type=float,
              help="SPARQL query time limit in seconds (the query is stopped, 503).")
@click.option("--max-results", default=10_000, show_default=True, type=click.IntRange(1),
              help="Most rows (SELECT) or triples (CONSTRUCT/DESCRIBE) a query may return.")
@click.option("--max-result-bytes", default=50_000_000, show_default=True,
              type=click.IntRange(1), help="Most bytes a query result may take.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64),
              help="SPARQL worker processes (queries run at the same time).")
@click.option("--worker-memory", default=2048, show_default=True, type=click.IntRange(0),
              help="Address-space cap of each SPARQL worker in MB (0: none).")
@click.option("--queue-timeout", default=5.0, show_default=True, type=float,
              help="How long a query waits for a free worker before 503.")
@click.option("--cors", "cors_origins", multiple=True, metavar="ORIGIN",
              help="Allow cross-origin requests from ORIGIN ('*' for any); off by default.")
def serve(site: Path | None, store_path: Path | None, base: str, host: str, port: int,
          query_timeout: float, max_results: int, max_result_bytes: int, workers: int,
          worker_memory: int, queue_timeout: float, cors_origins: tuple[str, ...]) -> None:
    """Serve a published SITE (or publish --store to a temporary site and serve that).

    Content negotiation: a resource IRI answers 303 to its HTML, Turtle, JSON-LD or
    N-Triples document by Accept (406 if none fits); documents are served as they are. A
    read-only SPARQL 1.1 endpoint answers at /sparql. Runs under uvicorn.
    """
    import uvicorn

    from cityculture.serve.app import Publishing, ServeConfig, create_app
    from cityculture.serve.sparql import Limits

    if (site is None) == (store_path is None):
        raise click.UsageError("give a published SITE folder or --store PATH (one of them)")
    temporary = None
    publishing = None
    if site is None:
        temporary = tempfile.TemporaryDirectory(prefix="cityculture-site-",
                                                ignore_cleanup_errors=True)
        site = Path(temporary.name)
        if base == DEFAULT_BASE:  # the store's IRIs are the site's: answer from it meanwhile
            folder, store = site, store_path

            def work(progress: Callable[[int, int], None]) -> None:
                _publish(folder, store, base, progress=progress)

            publishing = Publishing(work)
        else:  # the endpoint must answer with the rewritten IRIs of the published dumps
            with undo_on_interrupt("removed the temporary site", temporary.cleanup):
                _publish(site, store_path, base)
    config = ServeConfig(site=site, limits=Limits(query_timeout, max_results, max_result_bytes),
                         workers=workers, worker_memory_mb=worker_memory,
                         queue_timeout=queue_timeout, cors_origins=list(cors_origins),
                         store=store_path if publishing is not None else None,
                         publishing=publishing)
    try:
        with stage("starting the SPARQL workers"):
            app = create_app(config)
    except FileNotFoundError as exc:
        raise click.ClickException(str(exc)) from exc
    click.echo(f"serving {site} on http://{host}:{port}/ (SPARQL at /sparql)"
               + ("; the site is published meanwhile, from the store" if publishing else ""),
               err=True)
    try:
        with deferred() as signals:  # uvicorn shuts down gracefully on SIGINT and SIGTERM
            uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False,
                        timeout_graceful_shutdown=5)
    finally:
        if temporary is not None:
            temporary.cleanup()
    sys.exit(128 + signals[0] if signals else 0)
