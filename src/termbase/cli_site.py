"""`termbase site`: write the static web glossary, and preview it (thin Click wrapper)."""
from __future__ import annotations

from pathlib import Path

import click

from .cli_common import glossary_option, open_termbase
from .progress import step


@click.command()
@glossary_option()
@click.option("-o", "--output", type=click.Path(path_type=Path), default="site", show_default=True,
              help="the folder to write (rewritten whole; it must be empty or an earlier site)")
@click.option("--exports", "exports_dir", type=click.Path(path_type=Path), default="exports", show_default=True,
              help="the folder of `termbase export --all` whose files the downloads page offers")
@click.option("--serve", is_flag=True, help="then serve the site on http://127.0.0.1:PORT/ until Ctrl-C")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="port for --serve")
def site(glossary_path, output, exports_dir, serve, port):
    """Write a static bilingual web glossary (search, A–Z, a page per concept) into a folder."""
    from . import site as site_module

    handle = open_termbase(glossary_path)
    with step(f"writing {output}") as progress:
        counts = site_module.build(handle, output, exports_dir, progress=progress)
    click.echo(f"wrote {output}: {counts['concepts']} concepts, {counts['surfaces']} searchable spellings", err=True)
    if serve:
        site_module.serve(output, port, ready=lambda url: click.echo(f"serving {output} at {url} (Ctrl-C stops)", err=True))
