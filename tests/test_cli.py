"""The command line, through click's runner and once as a real subprocess."""

from __future__ import annotations

import collections
import errno
import json
import os
import subprocess
import sys
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from graph.cli import cli

from conftest import BAD_INPUTS, ROOT, SEEDS_DIR


def _commands(group: click.Group, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield prefix + (name,), cmd
        if isinstance(cmd, click.Group):
            yield from _commands(cmd, prefix + (name,))


@pytest.mark.parametrize("path, cmd", list(_commands(cli)), ids=lambda v: " ".join(v) if isinstance(v, tuple) else "")
def test_every_command_has_help(path, cmd):
    assert cmd.help and len(cmd.help.strip()) > 20, f"`newsgraph {' '.join(path)}` has no help text"
    for param in cmd.params:
        if isinstance(param, click.Option) and not param.hidden:
            assert param.help, f"option {param.opts} of `newsgraph {' '.join(path)}` has no help"
    result = CliRunner().invoke(cli, [*path, "--help"])
    assert result.exit_code == 0 and "Usage:" in result.output


def test_the_clis_choices_are_the_librarys():
    """The CLI lists its choices itself (importing the library's modules for their
    constants would slow every command's start); they must stay the library's."""
    from graph import query, views

    def choices(command: str, option: str) -> list[str]:
        param = next(p for p in cli.commands[command].params if p.name == option)
        assert isinstance(param.type, click.Choice), (command, option)
        return list(param.type.choices)

    assert choices("html", "view") == list(views.VIEW_NAMES)
    assert sorted(choices("query", "fmt")) == sorted(query.OUTPUT_FORMATS)
    assert choices("query", "engine") == list(query.ENGINES)


def test_build_writes_report_and_summary(tmp_path):
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out), "-f", "report"])
    assert result.exit_code == 0, result.output
    report = json.loads((out / "report.json").read_text())
    files = [p for p in SEEDS_DIR.rglob("*") if p.suffix in (".md", ".txt")]
    assert report["files_read"] == len(files)
    assert report["rejected"] == []
    assert f"{report['articles']:,} ({report['articles_full']:,} full" in result.output


def test_strict_fails_on_rejected_files_and_names_them(tmp_path):
    runner = CliRunner()
    lenient = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "a"), "-f", "report"])
    assert lenient.exit_code == 0
    assert "missing_title.md: missing title" in lenient.output
    strict = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "b"), "-f", "report", "--strict"])
    assert strict.exit_code == 1
    assert "rejected (--strict)" in strict.output
    assert "Traceback" not in strict.output
    assert (tmp_path / "b" / "report.json").exists()  # the report is written all the same
    assert f"(all in {tmp_path / 'b' / 'report.json'})" in strict.output
    # -q, and no report written: the error itself names the files ('see the report' named none)
    quiet = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "c"), "-f", "nt", "--strict", "-q"])
    report = json.loads((tmp_path / "b" / "report.json").read_text())
    first = report["rejected"][0]
    assert quiet.exit_code == 1 and f"{first['path']}: {first['reason']}" in quiet.output
    assert f"{len(report['rejected']):,} file(s) rejected (--strict): " in quiet.output
    assert "all in" not in quiet.output and not (tmp_path / "c" / "report.json").exists()


def test_an_empty_output_or_a_folder_that_is_no_catalogue_is_a_usage_error(tmp_path):
    """An unset $OUT in a script (-o "") wrote into the current folder; a --catalog
    naming the parent of data/ was read as an empty catalogue without a word."""
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        for args in (["build", str(SEEDS_DIR), "-o", ""], ["html", str(SEEDS_DIR), "-o", ""],
                     ["build", str(SEEDS_DIR), "-o", "out", "--catalog", str(SEEDS_DIR)],
                     ["html", str(SEEDS_DIR), "-o", "out.html", "--catalog", str(SEEDS_DIR)]):
            result = runner.invoke(cli, args)
            assert result.exit_code == 2 and "Traceback" not in result.output, (args, result.output)
            assert "empty path" in result.output or "not a catalogue folder" in result.output
        assert os.listdir(here) == []


def test_html_to_a_dash_is_a_usage_error_not_a_file_named_dash(tmp_path):
    """`-o -` reads as standard output, but wrote a file named "-" into the current folder."""
    runner = CliRunner()
    with runner.isolated_filesystem(temp_dir=tmp_path) as here:
        result = runner.invoke(cli, ["html", str(SEEDS_DIR), "-o", "-"])
        assert result.exit_code == 2 and "not to standard output" in result.output, result.output
        assert os.listdir(here) == []


@pytest.mark.parametrize("view", [[], ["--view", "overview"], ["--topic", "AI Builder"]], ids=["full", "overview", "ego"])
def test_html_to_a_folder_writes_the_page_in_it_under_its_usual_name(tmp_path, view):
    """`-o site/` wrote a file named "site" (status 0), and `-o site` with the folder
    there was refused. Expected: the page in the folder, named as in exports/ (graph.html,
    overview.html, ego.html), the same bytes as the page written to that file named in full."""
    usual = {0: "graph.html", 2: "overview.html" if "overview" in view else "ego.html"}[len(view)]
    runner = CliRunner()
    named = runner.invoke(cli, ["html", str(SEEDS_DIR), *view, "-o", str(tmp_path / "named" / usual), "-q"])
    assert named.exit_code == 0, named.output
    for kind, output in (("new, ending in /", str(tmp_path / "site") + os.sep), ("there", str(tmp_path / "there"))):
        if kind == "there":
            (tmp_path / "there").mkdir()
        result = runner.invoke(cli, ["html", str(SEEDS_DIR), *view, "-o", output, "-q"])
        assert result.exit_code == 0, (kind, result.output)
        folder = Path(output)
        assert folder.is_dir() and os.listdir(folder) == [usual], kind
        assert (folder / usual).read_bytes() == (tmp_path / "named" / usual).read_bytes(), kind


def test_verbose_lists_warnings_quiet_prints_nothing(tmp_path):
    runner = CliRunner()
    verbose = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path), "-f", "report", "-vv"])
    assert "warning: " in verbose.output and "wrong_types.md:9" in verbose.output
    assert "skipped: " in verbose.output
    quiet = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path), "-f", "report", "-q"])
    assert quiet.exit_code == 0 and quiet.output == ""


@pytest.mark.parametrize("bad", [["--base-iri", "http://x.org/noslash"], ["--base-iri", "not an iri/"],
                                 ["--base-iri", "http://"], ["--base-iri", ""], ["-f", "ttl,nope"], ["-f", ""],
                                 ["-f", " , "]],
                         ids=["no-slash", "not-an-iri", "no-host", "empty-iri", "unknown-format", "empty-format",
                              "commas"])
def test_a_bad_option_changes_no_export(tmp_path, bad):
    # The base IRI was checked by the RDF writer only: report, graph.json and the page of the
    # new build were written, the RDF files stayed those of the last one.
    out = tmp_path / "out"
    first = CliRunner().invoke(cli, ["build", str(BAD_INPUTS), "-o", str(out), "-q"])
    assert first.exit_code == 0, first.output
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    result = CliRunner().invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out), "-q", *bad])
    assert result.exit_code == 2 and "Traceback" not in result.output  # a usage error, as click's own are
    said = "an empty IRI" if bad == ["--base-iri", ""] else "base IRI" if bad[0] == "--base-iri" else "unknown format(s): nope" if "nope" in bad[1] else \
        "no format named (an empty value)"
    assert said in result.output
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_build_names_the_exports_left_from_an_earlier_build(tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(out), "-q", "-f", "ttl,json,neo4j"]).exit_code == 0
    result = runner.invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out), "-f", "nt"])
    assert result.exit_code == 0, result.output
    [line] = [ln for ln in result.output.splitlines() if ln.startswith("left from an earlier build")]
    # Every export file in the folder (as listed here) but the one just written.
    older = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and p.name != "graph.nt")
    assert older == ["graph.json", "graph.ttl", "neo4j"]
    assert sorted(Path(p).name for p in line.split(": ", 1)[1].split(", ")) == older
    again = runner.invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out), "-f", "nt,ttl,json,neo4j"])
    assert "left from an earlier build" not in again.output


def test_html_says_what_it_read_and_rejected_as_build_does(tmp_path):
    page = tmp_path / "page.html"
    result = CliRunner().invoke(cli, ["html", str(BAD_INPUTS), "-o", str(page)])
    built = CliRunner().invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "out"), "-f", "report"])
    assert result.exit_code == 0 and page.exists()
    rejected = [ln for ln in built.output.splitlines() if ln.startswith("rejected: ")]
    assert rejected and rejected == [ln for ln in result.output.splitlines() if ln.startswith("rejected: ")]
    assert "missing_title.md: missing title" in result.output


@pytest.mark.parametrize("args, message", [
    (["html", "--depth", "3"], "--depth is the size of an ego view"),
    (["build", "-o", "{file}/sub"], "'{file}/sub' is under '{file}', which is a file, not a folder"),
    # a broken link: click's check (no file there) let it by, and the message named it twice
    (["build", "-o", "{link}"], "'{link}' is a link to 'nowhere', which does not exist, not a folder"),
    (["build", "-o", "{link}/sub"], "'{link}/sub' is under '{link}', which is a link to 'nowhere', which does "
                                    "not exist, not a folder"),
    # html read the whole input first, then could not write (status 1, as if the data were at fault)
    (["html", "-o", "{file}/sub.html"], "'{file}/sub.html' is under '{file}', which is a file, not a folder"),
    (["html", "-o", "{link}/sub/p.html"], "'{link}/sub/p.html' is under '{link}', which is a link to 'nowhere', "
                                          "which does not exist, not a folder"),
])
def test_options_that_cannot_work_are_usage_errors(tmp_path, args, message):
    afile = tmp_path / "afile"
    afile.write_text("mine")
    (tmp_path / "link").symlink_to("nowhere")
    args = [a.replace("{file}", str(afile)).replace("{link}", str(tmp_path / "link")) for a in args]
    message = message.replace("{file}", str(afile)).replace("{link}", str(tmp_path / "link"))
    page = ["-o", str(tmp_path / "x.html")] if args[0] == "html" and "-o" not in args else []
    result = CliRunner().invoke(cli, [*args, str(SEEDS_DIR), *page])
    assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output
    assert "files read" not in result.output  # said before reading
    assert sorted(p.name for p in tmp_path.iterdir()) == ["afile", "link"] and afile.read_text() == "mine"
    assert os.readlink(tmp_path / "link") == "nowhere"


def test_file_names_reach_the_terminal_without_their_control_characters(tmp_path):
    # A name can hold an escape sequence (a terminal would obey it) or a line break
    # (printing a convincing line of its own).
    folder = tmp_path / "in"
    folder.mkdir()
    names = ["evil\x1b]0;PWNED\x07\x1b[2J.md", "two\nrejected: all good.md", "skip\x1b[31m.md"]
    (folder / names[0]).write_text("---\ntitle: [\n---\n")  # rejected
    (folder / names[1]).write_text('---\ntitle: "T"\nwebUrl: "https://e.example/1"\nquality: "high"\n---\n')  # warned
    (folder / names[2]).write_text("no front matter\n")  # skipped
    result = CliRunner().invoke(cli, ["build", str(folder), "-o", str(tmp_path / "out"), "-vv"])
    assert result.exit_code == 0, result.output
    assert "\x1b" not in result.output and "\x07" not in result.output
    assert not any(line.startswith("rejected: all good") for line in result.output.splitlines())
    shown = {name: name.encode("unicode_escape").decode().replace("\\n", "\\x0a") for name in names}  # by hand
    assert f"rejected: {folder}/{shown[names[0]]}:" in result.output
    assert f"warning: {folder}/{shown[names[1]]}:" in result.output
    assert f"skipped: {folder}/{shown[names[2]]}:" in result.output


def test_unknown_format_is_a_clear_error(tmp_path):
    result = CliRunner().invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path), "-f", "nope"])
    assert result.exit_code == 2  # a usage error
    assert "unknown format(s): nope" in result.output and "Traceback" not in result.output


def test_an_unknown_format_suggests_the_one_meant(tmp_path):
    """Turtle's and N-Triples' usual names, another case, a typo: each is named
    with the format it most likely means; a name like none of them, with none.
    Nothing is written."""
    result = CliRunner().invoke(cli, ["build", str(SEEDS_DIR), "-o", str(tmp_path / "out"),
                                      "-f", "TTL,turtle,N-Triples,json-ld,grapml,xlsx,nt"])
    assert result.exit_code == 2
    assert ("unknown format(s): TTL (did you mean ttl?), turtle (did you mean ttl?), N-Triples (did you mean nt?), "
            "json-ld (did you mean jsonld?), grapml (did you mean graphml?), xlsx; known: ") in result.output
    assert not (tmp_path / "out").exists()


def test_an_unknown_format_or_view_is_a_value_error_in_python_as_every_bad_argument_is(seeds_kg, tmp_path):
    """write_exports(kg, "x", ["rdfxml"]) and notebook_html(kg, view="foo") raised an
    ExportError only: `except ValueError` in a notebook, the README's rule for an
    argument the API cannot take, missed them. Still ExportErrors, and nothing written."""
    from graph.errors import ExportError, InvalidArgumentError, UnknownFormatError
    from graph.export import write_exports
    from graph.export.html import notebook_html, render_html

    calls = [lambda: write_exports(seeds_kg, tmp_path / "x", ["rdfxml"]),
             lambda: notebook_html(seeds_kg, view="foo"), lambda: render_html(seeds_kg, view="foo")]
    for call in calls:
        with pytest.raises(ValueError) as err:
            call()
        assert isinstance(err.value, ExportError) and isinstance(err.value, InvalidArgumentError)
        assert type(err.value) is UnknownFormatError
        assert str(err.value).startswith(("unknown format(s): rdfxml", "unknown view 'foo'"))
    assert not (tmp_path / "x").exists()


def test_query_list_with_a_query_is_a_usage_error():
    """`newsgraph query --list extra` listed the examples and ignored the query meant to run
    (found by the CLI probe)."""
    result = CliRunner().invoke(cli, ["query", "--list", "top-providers"])
    assert result.exit_code == 2 and "give it alone" in result.output
    listed = CliRunner().invoke(cli, ["query", "--list"])
    assert listed.exit_code == 0 and "top-providers" in listed.output


def test_quiet_and_verbose_together_are_a_usage_error(tmp_path):
    """`build -q -v` printed nothing and exited 0: the warnings asked for were dropped
    without a word (found by the CLI probe)."""
    result = CliRunner().invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "out"), "-q", "-v"])
    assert result.exit_code == 2 and "give one or the other" in result.output
    assert not (tmp_path / "out").exists()
    result = CliRunner().invoke(cli, ["html", str(BAD_INPUTS), "-o", str(tmp_path / "p.html"), "-q", "-v"])
    assert result.exit_code == 2 and "give one or the other" in result.output
    assert not (tmp_path / "p.html").exists()


def test_html_is_strict_and_verbose_as_build_is(tmp_path):
    """`newsgraph html` had neither --strict nor -v: a script drawing a page could not
    fail on rejected files, nor list the warnings, as `build` can."""
    runner = CliRunner()
    report_file = tmp_path / "out" / "report.json"
    built = runner.invoke(cli, ["build", str(BAD_INPUTS), "-o", str(tmp_path / "out"), "-f", "report", "-vv"])
    assert built.exit_code == 0, built.output
    report = json.loads(report_file.read_text())
    assert report["rejected"] and report["skipped"]  # the bad inputs have both, or this test shows nothing

    lenient = runner.invoke(cli, ["html", str(BAD_INPUTS), "-o", str(tmp_path / "a.html")])
    assert lenient.exit_code == 0 and "warning: " not in lenient.output and "skipped: " not in lenient.output

    verbose = runner.invoke(cli, ["html", str(BAD_INPUTS), "-o", str(tmp_path / "b.html"), "-vv"])
    assert verbose.exit_code == 0
    said = [ln for ln in verbose.output.splitlines() if ln.startswith(("warning: ", "skipped: "))]
    assert said == [ln for ln in built.output.splitlines() if ln.startswith(("warning: ", "skipped: "))]
    assert len([ln for ln in said if ln.startswith("skipped: ")]) == len(report["skipped"])
    once = runner.invoke(cli, ["html", str(BAD_INPUTS), "-o", str(tmp_path / "b.html"), "-v"])
    assert "warning: " in once.output and "skipped: " not in once.output

    strict = runner.invoke(cli, ["html", str(BAD_INPUTS), "-o", str(tmp_path / "c.html"), "--strict", "-q"])
    first = report["rejected"][0]
    assert strict.exit_code == 1 and "Traceback" not in strict.output
    assert f"{len(report['rejected']):,} file(s) rejected (--strict): {first['path']}: {first['reason']}" \
        in strict.output
    assert (tmp_path / "c.html").exists()  # the page is written all the same, as build's exports are
    clean = runner.invoke(cli, ["html", str(SEEDS_DIR), "-o", str(tmp_path / "d.html"), "--strict", "-q"])
    assert clean.exit_code == 0 and clean.output == ""


def test_an_empty_centre_is_a_usage_error_as_an_empty_output_is(tmp_path):
    """`newsgraph html --topic "$TOPIC"` with TOPIC unset read the whole corpus, then said
    "no topic ''" with status 1; an empty -o is a usage error (status 2) before reading
    (found by the CLI probe)."""
    for option in ("--topic", "--provider", "--article"):
        result = CliRunner().invoke(cli, ["html", str(SEEDS_DIR), option, " ", "-o", str(tmp_path / "p.html")])
        assert result.exit_code == 2 and f"Invalid value for '{option}': an empty name" in result.output, \
            result.output
    assert not (tmp_path / "p.html").exists()


def test_an_overview_asked_with_an_ego_centre_is_refused_by_the_api_as_by_the_cli(seeds_kg, tmp_path):
    """notebook_html(kg, view="overview", topic=...) drew the ego view, without a word,
    where `newsgraph html --view overview --topic ...` is a usage error; a bad view's
    name beside a centre was not looked at."""
    from graph.errors import InvalidArgumentError, UnknownFormatError
    from graph.export.html import notebook_html, render_html, write_html

    topic = sorted(seeds_kg.topics)[0]
    for call in (notebook_html, render_html, lambda kg, **kw: write_html(kg, tmp_path / "p.html", **kw)):
        with pytest.raises(InvalidArgumentError, match="view='overview' draws every provider and topic"):
            call(seeds_kg, view="overview", topic=topic)
        with pytest.raises(UnknownFormatError, match="unknown view 'foo'"):
            call(seeds_kg, view="foo", topic=topic)
    assert not (tmp_path / "p.html").exists()
    # The ego view is still what a centre alone, or with the default view, draws.
    ego = render_html(seeds_kg, topic=topic)
    assert ego == render_html(seeds_kg, view="full", topic=topic) != render_html(seeds_kg)
    result = CliRunner().invoke(cli, ["html", str(SEEDS_DIR), "--view", "overview", "--topic", topic,
                                      "-o", str(tmp_path / "p.html")])
    assert result.exit_code == 2 and "give one or the other" in result.output


def test_missing_input_is_an_error_and_leaves_the_exports_alone(tmp_path):
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out), "-f", "report,json"]).exit_code == 0
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    typo = tmp_path / "seedz"
    result = runner.invoke(cli, ["build", str(SEEDS_DIR), str(typo), "-o", str(out), "-f", "report,json"])
    assert result.exit_code == 1
    assert f"no such file or folder: {typo}" in result.output and "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    page = runner.invoke(cli, ["html", str(typo), "-o", str(out / "typo.html")])
    assert page.exit_code == 1 and f"no such file or folder: {typo}" in page.output
    assert not (out / "typo.html").exists()


def test_a_link_loop_named_on_the_command_line_is_said_to_be_one(tmp_path):
    """`newsgraph build loop.md` (loop.md -> loop.md) said "no such file or folder":
    the file is there, a link the system gives up following (ELOOP). Expected: the
    reason os.stat gives, for build and html alike, and nothing written."""
    os.symlink("loop.md", tmp_path / "loop.md")
    os.symlink("gone.md", tmp_path / "dead.md")
    with pytest.raises(OSError) as err:
        os.stat(tmp_path / "loop.md")
    assert err.value.errno == errno.ELOOP
    runner = CliRunner()
    for args in (["build", "-o", str(tmp_path / "out")], ["html", "-o", str(tmp_path / "p.html")]):
        result = runner.invoke(cli, [args[0], str(tmp_path / "loop.md"), str(tmp_path / "dead.md"), *args[1:]])
        assert result.exit_code == 1 and "Traceback" not in result.output
        assert f"symbolic link loop (too many levels of symbolic links: it leads to no file): {tmp_path}/loop.md" \
            in result.output
        assert f"broken symbolic link: {tmp_path}/dead.md" in result.output
        assert "no such file or folder" not in result.output
    assert not (tmp_path / "out").exists() and not (tmp_path / "p.html").exists()


def test_an_empty_source_leaves_a_builds_exports_as_they_are(tmp_path):
    """An empty (or unmounted) source folder wrote an empty graph over good exports, and
    `newsgraph push` then emptied the store's graph (found by the CLI probe), where a
    missing path is refused for that reason. Refused while the output holds a build of
    articles: nothing written, the caches' record untouched; taken where it holds none."""
    from graph.errors import EmptyInputError
    from graph.pipeline import build_exports

    empty = tmp_path / "mount" / "news" / "2024"
    empty.mkdir(parents=True)  # folders only, no file
    out = tmp_path / "out"
    runner = CliRunner()
    assert runner.invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out)]).exit_code == 0
    articles = json.loads((out / "report.json").read_text())["articles"]
    before = {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}
    result = runner.invoke(cli, ["build", str(tmp_path / "mount"), "-o", str(out)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert (f"{tmp_path / 'mount'}: no file to read, and {out} holds the exports of a build of {articles:,} "
            "articles") in result.output
    assert {p: p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()} == before
    with pytest.raises(EmptyInputError):
        build_exports([tmp_path / "mount"], out)
    again = runner.invoke(cli, ["build", str(SEEDS_DIR), "-o", str(out)])
    assert "0 parsed again" in again.output  # the caches were not emptied either
    # A file anywhere in the source, or an output without articles: built as before.
    fresh = tmp_path / "fresh"
    assert runner.invoke(cli, ["build", str(tmp_path / "mount"), "-o", str(fresh)]).exit_code == 0
    assert json.loads((fresh / "report.json").read_text())["articles"] == 0
    assert runner.invoke(cli, ["build", str(tmp_path / "mount"), "-o", str(fresh)]).exit_code == 0
    (empty / "notes.txt").write_text("no front matter\n", encoding="utf-8")
    result = runner.invoke(cli, ["build", str(tmp_path / "mount"), "-o", str(out)])
    assert result.exit_code == 0 and json.loads((out / "report.json").read_text())["articles"] == 0


def test_undecodable_bytes_of_paths_in_messages_are_shown_as_the_report_shows_them(tmp_path):
    """A path whose name is not UTF-8 showed as \\udcff in the summary's wrote: line and in
    errors, where input files show \\xff (found by the CLI probe). Expected, by hand:
    the byte as \\xNN, in a subprocess, as a user's terminal gets it."""
    out = os.fsdecode(bytes(tmp_path) + b"/nu\xffout")
    run = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", out, "-f", "report"],
                         capture_output=True, text=True, errors="strict", timeout=300)
    assert run.returncode == 0 and f"wrote: {tmp_path}/nu\\xffout/report.json" in run.stderr, run.stderr
    missing = os.fsdecode(bytes(tmp_path) + b"/caf\xe9-missing.md")
    run = subprocess.run([sys.executable, "-m", "graph", "build", missing, "-o", str(tmp_path / "x")],
                         capture_output=True, text=True, errors="strict", timeout=300)
    assert run.returncode == 1
    assert f"no such file or folder: {tmp_path}/caf\\xe9-missing.md" in run.stderr and "udc" not in run.stderr


def test_an_empty_folder_builds_every_default_export(tmp_path):
    from graph.export import DEFAULT_FORMATS, EXPORTERS

    (tmp_path / "empty").mkdir()
    out = tmp_path / "out"
    result = CliRunner().invoke(cli, ["build", str(tmp_path / "empty"), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output and "articles: 0 " in result.output
    for name in DEFAULT_FORMATS:
        assert (out / EXPORTERS[name].filename).exists(), name
    assert json.loads((out / "graph.json").read_text())["nodes"] == []


def test_real_subprocess_python_m_graph(tmp_path):
    out = tmp_path / "out"
    proc = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR / "000_661d67e696f09288.txt"),
                           "-o", str(out), "-f", "report"], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == ""  # the summary goes to stderr; nothing when piped but that
    report = json.loads((out / "report.json").read_text())
    assert report["articles_full"] == 1 and report["articles_stub"] == 2
    assert "\x1b[" not in proc.stderr  # no progress bar or colour when not a terminal


def test_console_script_is_installed():
    proc = subprocess.run(["newsgraph", "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "newsgraph" in proc.stdout


def _stderr_on_a_terminal(*args: str, term: str | None = None) -> tuple[int, bytes]:
    """Run ``python -m graph ARGS`` with stderr on a pseudo-terminal (``TERM=term`` if
    given): its exit status and what it drew there."""
    import os
    import pty

    env = dict(os.environ, **({"TERM": term} if term else {}))
    master, slave = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "graph", *args], stdout=subprocess.PIPE, stderr=slave,
                            stdin=subprocess.DEVNULL, cwd=ROOT, env=env)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    proc.wait(timeout=120)
    os.close(master)
    return proc.returncode, seen


def test_progress_bar_on_a_terminal(tmp_path):
    code, seen = _stderr_on_a_terminal("build", str(SEEDS_DIR), "-o", str(tmp_path), "-f", "report", "-j", "1")
    assert code == 0
    assert b"reading" in seen and b"\x1b[" in seen  # the bar, drawn with terminal codes
    assert b"writing the exports into" in seen  # then a spinner while the exports are written
    assert b"files: " in seen and b" articles, " in seen  # the summary
    code, seen = _stderr_on_a_terminal("html", str(SEEDS_DIR), "-o", str(tmp_path / "p.html"), "-j", "1")
    assert code == 0 and b"reading" in seen and b"drawing " in seen
    piped = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(tmp_path), "-j", "1"],
                           capture_output=True, cwd=ROOT, timeout=120)
    assert piped.returncode == 0 and b"writing the exports" not in piped.stderr and b"\x1b[" not in piped.stderr


def test_a_dumb_terminal_gets_each_step_once_as_a_line(seeds_kg, tmp_path):
    """TERM=dumb (Emacs' shell, some CI consoles) cannot redraw a bar or a spinner:
    they left blank lines before the summary. Each step is said once, plainly."""
    import re

    from graph.export import write_exports

    code, seen = _stderr_on_a_terminal("build", str(SEEDS_DIR), "-o", str(tmp_path / "out"), "-j", "1", term="dumb")
    lines = seen.decode().replace("\r\n", "\n").split("\n")
    files = sum(1 for p in SEEDS_DIR.rglob("*") if p.suffix in (".md", ".txt", ".markdown"))
    assert code == 0 and b"\x1b" not in seen and "" not in lines[:-1], seen[:300]
    assert lines[:2] == [f"reading {files:,} files", f"writing the exports into {tmp_path / 'out'}"], lines[:3]
    assert re.match(r"files: [0-9,]+ \(", lines[2])  # then the summary
    # a rebuild from the cache reports its count complete at once: both steps still said
    code, again = _stderr_on_a_terminal("build", str(SEEDS_DIR), "-o", str(tmp_path / "out"), "-j", "1", term="dumb")
    assert code == 0 and again.decode().replace("\r\n", "\n").split("\n")[:2] == lines[:2]
    write_exports(seeds_kg, tmp_path, ["ttl"])
    code, seen = _stderr_on_a_terminal("validate", str(tmp_path), term="dumb")
    assert code == 0 and seen.decode().splitlines()[0] == f"validating {tmp_path / 'graph.ttl'} against the SHACL shapes"
    assert b"\x1b" not in seen


def test_long_steps_without_a_count_show_a_spinner_on_a_terminal_only(seeds_kg, tmp_path):
    from graph.export import write_exports

    write_exports(seeds_kg, tmp_path, ["ttl"])
    for args, label in ((["validate", str(tmp_path)], b"validating"),
                        (["query", "top-providers", "--data", str(tmp_path)], b"querying")):
        code, seen = _stderr_on_a_terminal(*args)
        assert code == 0 and label in seen and b"\x1b[" in seen, seen[-300:]
        piped = subprocess.run([sys.executable, "-m", "graph", *args], capture_output=True, cwd=ROOT, timeout=120)
        assert piped.returncode == 0 and label not in piped.stderr and b"\x1b[" not in piped.stderr


def test_catalog_option(tmp_path):
    news = tmp_path / "news"
    news.mkdir()
    (news / "a.md").write_text('---\ntitle: "A"\nwebUrl: "https://abcnews.go.com/a"\n'
                               'provider: {name: abc, domain: go.com}\ntopics: [Space]\n---\n')
    cat = tmp_path / "elsewhere"
    (cat / "organizations").mkdir(parents=True)
    (cat / "topics").mkdir()
    (cat / "organizations" / "go.com.md").write_text("---\ntaxonomy: organization\nname: ABC News\n"
                                                    "domain: go.com\n---\n")
    (cat / "topics" / "space.yaml").write_text("taxonomy: topic\nname: Space\nkeywords: [nasa]\n"
                                               "hashtags: ['#space']\n")
    import graph

    plain = graph.build([news])
    assert plain.providers["provider/go.com"].name == "abc"
    enriched = graph.build([news], catalogs=[cat])
    go = enriched.providers["provider/go.com"]
    assert go.name == "ABC News" and go.alt_names == ("abc",)
    assert enriched.topics["topic/space"].keywords == ("nasa",)
    assert enriched.report.catalog_used == {"providers": 1, "topics": 1}
    result = CliRunner().invoke(cli, ["build", str(news), "--catalog", str(cat), "-o", str(tmp_path / "o"),
                                      "-f", "report"])
    assert result.exit_code == 0, result.output


# The console script's exit (graph.cli.exit_without_teardown), each case in a
# real interpreter: a module-level object whose __del__ prints shows whether
# the heap was torn down; an atexit handler shows that exit handlers still run.
_EXIT_PROBE = """
import atexit, sys, threading, time
class Probe:
    def __del__(self):
        print("torn down", flush=True)
probe = Probe()
atexit.register(lambda: print("handler ran"))  # not flushed: the exit must flush it
sys.argv = ["newsgraph", *sys.argv[1:]]
if "--thread" in sys.argv:
    sys.argv.remove("--thread")
    threading.Thread(target=lambda: (time.sleep(0.5), print("thread done", flush=True))).start()
import graph.cli
graph.cli.main()
"""


def _buffered_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k != "PYTHONUNBUFFERED"}  # output to a pipe is buffered


def _run_probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _EXIT_PROBE, *args], capture_output=True, text=True,
                          cwd=ROOT, timeout=120, env=_buffered_env())


def test_console_exit_skips_teardown_but_runs_handlers_and_flushes():
    proc = _run_probe("--version")
    assert proc.returncode == 0, proc.stderr
    # Printed by click before the exit, then the handler; the object is never freed.
    assert proc.stdout.splitlines() == [f"newsgraph, version {graph_version()}", "handler ran"]
    # The same probe with the usual exit tears it down: the check above can fail.
    usual = subprocess.run([sys.executable, "-c", _EXIT_PROBE.replace("graph.cli.main()", "graph.cli.cli()"),
                            "--version"], capture_output=True, text=True, cwd=ROOT, timeout=120,
                           env=_buffered_env())
    assert usual.stdout.splitlines()[-1] == "torn down"


def test_console_exit_keeps_exit_statuses(tmp_path):
    usage = _run_probe("build", "--no-such-option")
    assert usage.returncode == 2 and "No such option" in usage.stderr  # click's usage error
    missing = _run_probe("build", str(tmp_path / "nowhere"), "-o", str(tmp_path / "out"))
    assert missing.returncode == 1 and "Error:" in missing.stderr and "Traceback" not in missing.stderr
    assert "handler ran" in usage.stdout and "handler ran" in missing.stdout


def test_console_exit_waits_for_running_threads():
    proc = _run_probe("--version", "--thread")
    assert proc.returncode == 0
    assert proc.stdout.splitlines()[-3:] == ["thread done", "handler ran", "torn down"]


# Whether the cyclic collector is on when the process ends, after a command.
_COLLECTOR_PROBE = """
import atexit, gc, sys
atexit.register(lambda: print("collector on:", gc.isenabled(), flush=True))
sys.argv = ["newsgraph", *sys.argv[1:]]
import graph.console
graph.console.main()
"""


def test_console_command_leaves_the_collector_off_after_a_pause(tmp_path):
    """A build pauses the collector (graph.gc_pause); the console script's process
    ends with the command, so the pause is not ended (ending it walks what is
    alive). Without a pause, or outside the console script, the collector is on."""
    def collector_on(*args: str, entry: str = "graph.console.main()") -> str:
        proc = subprocess.run([sys.executable, "-c", _COLLECTOR_PROBE.replace("graph.console.main()", entry), *args],
                              capture_output=True, text=True, cwd=ROOT, timeout=300)
        assert proc.returncode == 0, proc.stderr
        return proc.stdout.splitlines()[-1]

    def build(out: str) -> tuple[str, ...]:
        return ("build", str(SEEDS_DIR), "-o", str(tmp_path / out), "-q")

    assert collector_on(*build("console")) == "collector on: False"
    assert collector_on(*build("library"), entry="import graph.cli; graph.cli.cli()") == "collector on: True"  # a library's caller
    for out in ("console", "library"):  # each built its exports (not found up to date)
        assert json.loads((tmp_path / out / "report.json").read_text(encoding="utf-8"))["articles"] > 0
    assert collector_on("--version") == "collector on: True"  # nothing paused it
    page = tmp_path / "page.html"
    assert collector_on("html", str(SEEDS_DIR), "-o", str(page), "-q") == "collector on: False"
    assert page.is_file()


def test_pauses_end_unless_never_resumed(monkeypatch):
    import gc

    from graph import gc_pause

    assert gc.isenabled()
    with gc_pause.gc_paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    monkeypatch.setattr(gc_pause, "_RESUMING", True)  # put back after the test, as never_resume is process-wide
    try:
        gc_pause.never_resume()
        with gc_pause.gc_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_console_exit_flushes_a_large_piped_output(tmp_path):
    # More than a pipe's buffer, written through a pipe: all of it arrives.
    out = tmp_path / "out"
    build = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(out), "-f", "nt",
                            "-q"], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert build.returncode == 0, build.stderr
    query = "SELECT ?s ?p ?o WHERE { ?s ?p ?o }"
    proc = subprocess.run([sys.executable, "-m", "graph", "query", query, "--data", str(out / "graph.nt"),
                           "--format", "csv"], capture_output=True, text=True, cwd=ROOT, timeout=300,
                          env=_buffered_env())
    assert proc.returncode == 0, proc.stderr
    import rdflib

    expected = len(rdflib.Graph().parse(out / "graph.nt", format="nt"))
    import csv
    import io

    rows = list(csv.reader(io.StringIO(proc.stdout, newline="")))
    assert len(proc.stdout) > 1 << 16 and len(rows) == expected + 1  # + the header


def graph_version() -> str:
    from graph import __version__

    return __version__


def test_a_query_whose_reader_goes_ends_as_unix_tools_do(tmp_path):
    """`newsgraph query ... | head -1` ended with status 1 (BrokenPipeError), which
    `set -o pipefail` could not tell from a failed query; now by SIGPIPE, quietly."""
    import signal

    from graph.export import write_exports
    import graph

    write_exports(graph.build([SEEDS_DIR]), tmp_path, ["nt"])
    shell = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {sys.executable} -m graph query 'SELECT ?s ?p ?o WHERE {{ ?s ?p ?o }}' "
                       f"-d {tmp_path / 'graph.nt'} -f csv | head -1"], capture_output=True, text=True, cwd=ROOT)
    assert shell.stdout == "s,p,o\n" and shell.stderr == ""
    assert shell.returncode == 128 + signal.SIGPIPE  # what `yes | head -1` gives
    whole = subprocess.run([sys.executable, "-m", "graph", "query", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
                            "-d", str(tmp_path / "graph.nt"), "-f", "csv"], capture_output=True, text=True, cwd=ROOT)
    assert whole.returncode == 0 and int(whole.stdout.split()[1]) > 1000  # read to the end: status 0


def test_a_query_run_inside_another_program_leaves_its_sigpipe_as_it_was(tmp_path):
    """The SIGPIPE ending is the command's own: run from a notebook or a test
    (``CliRunner``), it stayed set after the query, and that program's next write
    to a pipe whose reader had gone killed it outright instead of raising
    BrokenPipeError, as Python does."""
    import signal

    from graph.export import write_exports
    import graph

    write_exports(graph.build([SEEDS_DIR]), tmp_path, ["nt"])
    before = signal.getsignal(signal.SIGPIPE)
    for args in (["SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", "-d", str(tmp_path / "graph.nt")], ["--list"]):
        result = CliRunner().invoke(cli, ["query", *args])
        assert result.exit_code == 0 and result.output, result.output
        assert signal.getsignal(signal.SIGPIPE) == before
    read, write = os.pipe()
    os.close(read)
    try:
        with pytest.raises(BrokenPipeError):  # had SIGPIPE stayed SIG_DFL, the process would end here
            os.write(write, b"x")
    finally:
        os.close(write)


@pytest.mark.parametrize("where", ["closed", "/dev/full"])
@pytest.mark.parametrize("args", [["--version"], ["build", "--help"], ["query", "--list"],
                                  ["query", "-d", "EXPORTS", "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"],
                                  ["validate", "EXPORTS"]])
def test_output_that_cannot_be_written_is_one_line_not_a_traceback(seeds_kg, tmp_path_factory, where, args):
    """Started with its standard output closed (``>&-``) or on /dev/full, every command
    that prints ended in a traceback (AttributeError on None, OSError at exit): one
    line saying why, status 1. (A build, which prints to stderr only, still succeeds.)"""
    from graph.export import write_exports

    exports = tmp_path_factory.getbasetemp() / "cannot-write-exports"
    if not exports.exists():
        write_exports(seeds_kg, exports, ["nt", "ttl", "report"])
    command = [sys.executable, "-m", "graph", *[str(exports) if a == "EXPORTS" else a for a in args]]
    if where == "closed":
        done = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, cwd=ROOT,
                              preexec_fn=lambda: os.close(1))
        reason = "the standard output is closed"
    else:
        with open("/dev/full", "w") as full:
            done = subprocess.run(command, stdout=full, stderr=subprocess.PIPE, text=True, cwd=ROOT)
        reason = "No space left on device"
    assert done.returncode == 1, done.stderr
    assert done.stderr == f"Error: cannot write the output: {reason}\n"


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_full_disk_names_the_export_it_could_not_write(corpus_dir, tmp_path, jobs):
    """A write failing with no file named (a full disk's ENOSPC; here the same failure,
    EFBIG, from a limit on file sizes) named only the exports' folder, and with several
    formats written at once, closing the others' files failed again and took its place."""
    import resource
    import signal

    def small_files_only() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (4 << 20, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))

    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-m", "graph", "build", str(corpus_dir), "-o", str(out), "-q",
                           "--no-cache", "-j", jobs], capture_output=True, text=True, cwd=ROOT,
                          preexec_fn=small_files_only)
    assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
    exports = {str(out / name) for name in ("graph.ttl", "graph.nt", "graph.jsonld", "graph.trig", "graph.json")}
    named = done.stderr.removeprefix("Error: cannot write ").removesuffix(": File too large\n")
    assert named in exports, done.stderr
    assert not os.path.exists(named)  # nothing half-written in its place
    # nor any other file: a build's exports are moved in together or not at all, and the
    # folder it made, left empty, goes with its lock (temporary files and all)
    assert not out.exists()


def test_a_build_with_its_output_closed_still_builds(tmp_path):
    done = subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(tmp_path / "out"),
                           "-f", "report"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                          cwd=ROOT, preexec_fn=lambda: os.close(1))
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    assert json.loads((tmp_path / "out" / "report.json").read_text())["articles"] > 0


@pytest.mark.parametrize("where", ["closed", "/dev/full"])
def test_a_build_whose_notes_cannot_be_written_still_succeeds(tmp_path, where):
    """With stderr closed (``2>&-``) or on /dev/full, a build wrote its exports and then
    ended with status 1, its summary unprintable: a cron job took it for a failed
    build. The notes are dropped; the status still tells a build that failed."""
    def run(*args: str) -> subprocess.CompletedProcess:
        command = [sys.executable, "-m", "graph", "build", *args]
        if where == "closed":
            return subprocess.run(command, stdout=subprocess.PIPE, cwd=ROOT, preexec_fn=lambda: os.close(2))
        with open("/dev/full", "w") as full:
            return subprocess.run(command, stdout=subprocess.PIPE, stderr=full, cwd=ROOT)

    out = tmp_path / "out"
    done = run(str(SEEDS_DIR), "-o", str(out), "-f", "report", "-v")
    assert done.returncode == 0 and done.stdout == b""
    # the report the summary was made from, written whole: as a build that could say it writes it
    said = tmp_path / "said"
    subprocess.run([sys.executable, "-m", "graph", "build", str(SEEDS_DIR), "-o", str(said), "-f", "report"],
                   capture_output=True, cwd=ROOT, check=True)
    assert (out / "report.json").read_bytes() == (said / "report.json").read_bytes()
    assert run(str(tmp_path / "no-such-folder"), "-o", str(out)).returncode == 1
    assert run(str(SEEDS_DIR), "-o", str(out), "-f", "no-such-format").returncode == 2


@pytest.mark.parametrize("args", [["build", "SEEDS", "-o", "relative-out", "-q"], ["validate", "SEEDS"]])
def test_a_deleted_current_folder_is_one_line(tmp_path, args):
    """Run from a folder deleted meanwhile, build (with a relative output) and validate
    ended in FileNotFoundError from deep inside pathlib and rdflib."""
    gone = tmp_path / "gone"
    gone.mkdir()
    command = [sys.executable, "-m", "graph", *[str(SEEDS_DIR) if a == "SEEDS" else a for a in args]]
    done = subprocess.run(command, cwd=gone, preexec_fn=lambda: os.rmdir(gone), capture_output=True, text=True,
                          env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert not gone.exists()
    assert done.returncode == 1 and done.stderr.startswith("Error: the current folder no longer exists"), done.stderr
    assert "Traceback" not in done.stderr


_INTERRUPTED_IMPORT = r"""
import os, signal, sys, threading, time
import graph.children, graph.export, graph.views  # all graph.export.flatten needs but orjson

def stop(signum, frame):  # as the command does with SIGTERM
    raise KeyboardInterrupt

signal.signal(signal.SIGTERM, stop)
try:  # the timer started inside: a signal sent at once came before the try (1 run in 40 on a busy machine)
    threading.Timer(float(sys.argv[1]), os.kill, (os.getpid(), signal.SIGTERM)).start()
    import graph.export.flatten  # imports orjson
    time.sleep(5)  # a signal deferred past the import comes here (cut short by it)
except KeyboardInterrupt:
    sys.exit(3)
sys.exit(0)
"""


def test_an_interruption_while_orjson_is_imported_is_an_interruption_not_a_crash():
    """A KeyboardInterrupt raised inside orjson's module setup crashed the
    process with a segmentation fault (279 of 300 such imports): a SIGTERM
    to a build ended it with status 139 instead of "Aborted!". The signal,
    sent from another thread at moments spread over the import, now always
    ends the process as an interruption."""
    import random

    rng = random.Random(5)
    codes = collections.Counter()
    for _ in range(40):
        done = subprocess.run([sys.executable, "-c", _INTERRUPTED_IMPORT, f"{rng.uniform(0, 0.008):.5f}"],
                              capture_output=True, text=True, timeout=60, cwd=ROOT)
        codes[done.returncode] += 1
    assert set(codes) == {3}, codes  # each run interrupted, none crashed (-11) or ran past it (0)


def test_a_lock_that_is_a_symbolic_link_is_refused_not_followed(tmp_path):
    """The output folder's lock was opened through a link put in its place: the file was
    made at the link's target, anywhere the builder may write."""
    out, target = tmp_path / "out", tmp_path / "elsewhere" / "made-by-the-lock"
    out.mkdir()
    target.parent.mkdir()
    (out / ".newsgraph.lock").symlink_to(target)
    result = CliRunner().invoke(cli, ["build", "seeds/000_661d67e696f09288.txt", "-o", str(out), "-f", "report"])
    assert result.exit_code == 1, result.output
    assert "is a symbolic link: newsgraph never writes through a link" in result.output
    assert not target.exists() and not (out / "report.json").exists()


def test_stopping_a_query_still_computing_does_not_wait_for_it(monkeypatch):
    """Ctrl-C (or SIGTERM) during a long query ended the command 2 s later, every time: it
    waited for the query's thread, which oxigraph held, to stop between two rows (found
    by the CLI probe). It waits only once rows are being written."""
    import threading

    from graph.cli import _QueryThread

    release = threading.Event()
    joined = []
    query = _QueryThread(lambda: release.wait(30))  # still computing: no first row
    monkeypatch.setattr(query._thread, "join", lambda timeout=None: joined.append(timeout))

    def interrupted() -> None:
        raise KeyboardInterrupt

    query._thread.start()
    with pytest.raises(KeyboardInterrupt):
        query._wait(interrupted)
    assert joined == [] and query._stopped.is_set()
    release.set()
    query._asked.wait(5)  # its first row (here: its end) has come: a stop now waits for it
    with pytest.raises(KeyboardInterrupt):
        query._wait(interrupted)
    assert joined == [2]


_CTRL_C_WHILE_LOADING = """
import importlib.abc, os, signal, sys

class CtrlC(importlib.abc.MetaPathFinder):
    # SIGINT, as a Ctrl-C sends, when MODULE is first asked for: while the command's modules load
    def find_spec(self, name, path=None, target=None):
        if name == MODULE:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, CtrlC())
ENTRY
"""


@pytest.mark.parametrize("module", ["click", "graph.builder", "graph.export.files"])
@pytest.mark.parametrize("entry", ["console script", "python -m graph"])
def test_ctrl_c_while_the_command_loads_says_aborted_without_a_traceback(tmp_path, module, entry):
    """A Ctrl-C in the command's first 0.1 s, while its modules load, ends it as one
    during the command does (click: "Aborted!", status 1), not with Python's traceback."""
    run = {"console script": "from graph.console import main\nmain()",
           "python -m graph": "import runpy\nrunpy.run_module('graph', run_name='__main__', alter_sys=True)"}[entry]
    code = _CTRL_C_WHILE_LOADING.replace("MODULE", repr(module)).replace("ENTRY", run)
    out = tmp_path / "out"
    done = subprocess.run([sys.executable, "-c", code, "build", str(SEEDS_DIR), "-o", str(out)],
                          capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert (done.returncode, done.stdout, done.stderr) == (1, "", "\nAborted!\n")  # click's, to the byte
    assert not out.exists()  # it stopped before doing anything
    # the same command without the Ctrl-C builds (so the interrupt, not the probe, stopped it)
    whole = subprocess.run([sys.executable, "-c", code.replace(f"if name == {module!r}", "if False"),
                            "build", str(SEEDS_DIR), "-o", str(out), "-q"],
                           capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert whole.returncode == 0, whole.stderr
    assert (out / "report.json").is_file()
