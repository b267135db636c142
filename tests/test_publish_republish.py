"""Publishing again into the same folder: only changed files are written, files of resources
that are gone are removed, nothing else is touched; dct:issued and dct:modified follow the
content; publisher options and files are checked."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF

from cityculture.publish.site import publish_site
from cityculture.publish.source import store_source
from cityculture.store.backends import OxigraphBackend
from tests.publishing import ROOT, cli

BASE = "https://w3id.org/cityculture/"
TINY = ROOT / "tests" / "data" / "tiny-cities.csv"
VCARD = "http://www.w3.org/2006/vcard/ns#"


def other_cities(folder: Path) -> Path:
    """A second submission: the tiny one's rows for two new cities."""
    lines = TINY.read_text(encoding="utf-8").splitlines()
    rows = [line.replace("Q1001,Alpha", "Q2001,Omicron").replace("Q1002,Beta", "Q2002,Pi")
            for line in lines[1:] if line.startswith(("Q1001,", "Q1002,"))]
    path = folder / "more-cities.csv"
    path.write_text("\n".join([lines[0], *rows]) + "\n", encoding="utf-8")
    return path


def mtimes(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*")
            if p.is_file()}


@pytest.mark.slow  # publishes four times and loads through child processes
def test_republish_writes_what_changed_and_removes_stale_files(tmp_path: Path) -> None:
    store, site = tmp_path / "store", tmp_path / "site"
    done = cli("load", str(TINY), "--store", str(store), "--body", "Test body")
    assert done.returncode == 0, done.stderr
    first = publish_site(store_source(store), site, today=date(2026, 1, 1))
    (site / "README.txt").write_text("the host's own file")
    before = mtimes(site)
    assert first.rewritten == len(before) - 1 > 500 and first.removed == []

    again = publish_site(store_source(store), site, today=date(2026, 1, 2))
    assert again.rewritten == 0 and again.removed == []
    assert mtimes(site) == before

    with OxigraphBackend(store) as stored:
        graphs = set(stored.graph_names())
    done = cli("load", str(other_cities(tmp_path)), "--store", str(store), "--body", "Test body")
    assert done.returncode == 0, done.stderr
    grown = publish_site(store_source(store), site, today=date(2026, 2, 1))
    after = mtimes(site)
    new = set(after) - set(before)
    assert {"city/Q2001.html", "city/Q2001.ttl", "city/Q2002.jsonld"} <= new
    changed = {p for p in before if p in after and after[p] != before[p]}
    assert grown.rewritten == len(new) + len(changed)
    assert len(changed) < len(before) / 10  # the ontology's pages, for one, are untouched
    assert "ontology/City.ttl" not in changed and "dumps/data.nt" in changed
    description = Graph().parse(site / "catalog.ttl", format="turtle")
    assert not list(description.objects(None, DCAT.contactPoint))  # none given, none made up
    for part, issued, modified in (("ontology", "2026-01-01", "2026-01-01"),
                                   ("data", "2026-01-01", "2026-02-01")):
        node = URIRef(BASE + "dataset/" + part)
        assert str(description.value(node, DCTERMS.issued)) == issued, part
        assert str(description.value(node, DCTERMS.modified)) == modified, part

    with OxigraphBackend(store) as stored:  # the second submission is withdrawn
        (second,) = set(stored.graph_names()) - graphs
        stored.drop_graph(second)
    shrunk = publish_site(store_source(store), site, today=date(2026, 3, 1))
    assert set(shrunk.removed) == new
    assert not (site / "city" / "Q2001.html").exists()
    assert (site / "README.txt").read_text() == "the host's own file"
    assert set(mtimes(site)) == set(before)
    manifest = json.loads((site / "site.json").read_text())
    assert "README.txt" not in manifest["files"] and "city/Q1001.html" in manifest["files"]


def test_a_folder_with_a_foreign_site_json_is_refused(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "site.json").write_text("{not json")
    store = tmp_path / "store"
    assert cli("load", str(TINY), "--store", str(store)).returncode == 0
    done = cli("publish", str(site), "--store", str(store))
    assert done.returncode == 1
    assert "site.json" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in site.iterdir()) == ["site.json"]


@pytest.mark.slow  # publishes through a child process
def test_publisher_file_and_options(tmp_path: Path) -> None:
    file = tmp_path / "publisher.toml"
    file.write_text('name = "City Statistics Office"\nhomepage = "https://stats.example.org/"\n'
                    'type = "LocalAuthority"\ncontact_url = "https://stats.example.org/contact"\n')
    store = tmp_path / "store"
    assert cli("load", str(TINY), "--store", str(store)).returncode == 0
    done = cli("publish", str(tmp_path / "site"), "--store", str(store),
               "--publisher-file", str(file), "--contact-email", "open@stats.example.org")
    assert done.returncode == 0, done.stderr
    description = Graph().parse(tmp_path / "site" / "catalog.ttl", format="turtle")
    agent = description.value(URIRef(BASE + "catalog"), DCTERMS.publisher)
    assert str(description.value(agent, FOAF.name)) == "City Statistics Office"
    assert str(description.value(agent, FOAF.homepage)) == "https://stats.example.org/"
    assert str(description.value(agent, DCTERMS.type)).endswith("/LocalAuthority")
    contact = description.value(URIRef(BASE + "dataset"), DCAT.contactPoint)
    assert str(description.value(contact, URIRef(VCARD + "hasEmail"))) == (
        "mailto:open@stats.example.org")  # the option overrides nothing, adds the e-mail
    assert str(description.value(contact, URIRef(VCARD + "hasURL"))).endswith("/contact")


@pytest.mark.parametrize(("content", "options", "message"), [
    ('name = "x"\nfax = "1"\n', (), "unknown key 'fax'"),
    ('type = "Ministry"\n', (), "unknown 'Ministry'"),
    ('homepage = "ftp://x"\n', (), "not an http(s) URL"),
    ("name = [1]\n", (), "name must be a string"),
    ("", ("--contact-email", "nobody"), "not an e-mail address"),
])
def test_bad_publisher_input_is_refused_in_one_line(tmp_path: Path, content: str,
                                                    options: tuple[str, ...],
                                                    message: str) -> None:
    file = tmp_path / "publisher.toml"
    file.write_text(content)
    done = cli("publish", str(tmp_path / "site"), "--publisher-file", str(file), *options)
    assert done.returncode == 2, done.stderr
    assert message in done.stderr and "Traceback" not in done.stderr
    assert not (tmp_path / "site").exists()


def test_stale_removal_never_leaves_the_folder(tmp_path: Path) -> None:
    from cityculture.publish.files import SiteFiles

    site, outside = tmp_path / "site", tmp_path / "outside"
    site.mkdir()
    outside.mkdir()
    (outside / "keep.txt").write_text("x")
    (site / "link").symlink_to(outside)
    (site / "old.html").write_text("stale")
    files = SiteFiles(site, ["old.html", "../outside/keep.txt", str(outside / "keep.txt"),
                             "link/keep.txt"])
    files.write("new.html", b"fresh")
    assert files.remove_stale() == ["old.html"]
    assert (outside / "keep.txt").read_text() == "x"
    assert sorted(p.name for p in site.iterdir()) == ["link", "new.html"]
    with pytest.raises(ValueError, match="not a site path"):
        files.write("../escape.html", b"")


@pytest.mark.slow  # publishes the example three times
def test_pages_written_by_worker_processes_are_those_one_process_writes(tmp_path: Path) -> None:
    from cityculture import pipeline

    store = pipeline.example().store
    one = pipeline.publish(store, tmp_path / "one", workers=1)
    two = pipeline.publish(store, tmp_path / "two", workers=2)
    files = {str(p.relative_to(tmp_path / "one")): p.read_bytes()
             for p in (tmp_path / "one").rglob("*") if p.is_file()}
    assert len(files) > 500
    assert files == {str(p.relative_to(tmp_path / "two")): p.read_bytes()
                     for p in (tmp_path / "two").rglob("*") if p.is_file()}
    assert two.files == one.files and two.rewritten == one.rewritten == len(files)
    again = pipeline.publish(store, tmp_path / "one", workers=2)  # the store's blank nodes
    assert again.rewritten == 0 and again.removed == []  # keep their names: nothing changes


def test_workers_must_be_at_least_one(tmp_path: Path) -> None:
    from cityculture import pipeline

    with pytest.raises(ValueError, match="workers must be at least 1, not 0"):
        pipeline.publish(pipeline.example().store, tmp_path / "site", workers=0)
