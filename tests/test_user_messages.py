"""What a user is told when a file is wrong: each message is checked verbatim (file, field, value
and what is allowed), through ``clustersim.cli.main`` as the command line calls it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from clustersim.cli import main

REPO = Path(__file__).resolve().parents[1]
HELD = (REPO / "scenarios" / "held_package.toml").as_posix()

# a packages experiment whose second package is defined inside its own overrides
PACKAGES = f'''name = "bad"
base_scenario = "{HELD}"
years = 10
replicates = 1
sweep_seed = 1
[design]
kind = "packages"
[packages.none]
overrides = {{ "focal.package" = "none" }}
[packages.deep_land]
[packages.deep_land.overrides]
"focal.package" = "deep_land"
[packages.deep_land.overrides."packages.deep_land"]
'''


def cli_error(capsys, *args: str | Path) -> str:
    """The one stderr line of a command that must refuse its input with exit status 2."""
    status = main([str(a) for a in args])
    err = capsys.readouterr().err
    assert status == 2, err
    assert err.count("\n") == 1, err
    return err.rstrip("\n")


# ------------------------------------------------------------------------------ item 1: nested packages
NESTED = [
    ("typo", "rebate_schedul = [1.0, 0.5]",
     '"packages.deep_land".rebate_schedul = [1.0, 0.5]: unknown key; did you mean \'rebate_schedule\'?'),
    ("rebate out of range", "rebate_schedule = [1.5, 0.5]",
     '"packages.deep_land".rebate_schedule.0 = 1.5: must be between 0 and 1'),
    ("tier typo", "land_tiers = [{ min_investment = 100, prise = 10 }]",
     '"packages.deep_land".land_tiers.0.prise = 10: unknown key; did you mean \'price\'?'),
    ("negative tier price", "land_tiers = [{ min_investment = 100, price = -1 }]",
     '"packages.deep_land".land_tiers.0.price = -1: must be at least 0'),
]


@pytest.mark.parametrize(("line", "expected"), [c[1:] for c in NESTED], ids=[c[0] for c in NESTED])
def test_a_mistake_inside_a_new_package_names_the_real_field(tmp_path, capsys, line, expected):
    path = tmp_path / "bad_pkg.toml"
    path.write_text(PACKAGES + line + "\n", encoding="utf-8")
    assert cli_error(capsys, "sweep", path, "--out", tmp_path / "out") == \
        f"{path}: packages.deep_land.overrides.{expected}"


def test_a_dotted_key_into_a_new_package_names_its_own_key(tmp_path, capsys):
    text = PACKAGES.replace('[packages.deep_land.overrides."packages.deep_land"]\n',
                            '"packages.held_district.rebate_schedul" = [1.0]\n').replace(
        '"focal.package" = "deep_land"', '"focal.package" = "held_district"')
    path = tmp_path / "bad_pkg.toml"
    path.write_text(text, encoding="utf-8")
    assert cli_error(capsys, "sweep", path, "--out", tmp_path / "out") == (
        f'{path}: packages.deep_land.overrides."packages.held_district.rebate_schedul" = [1.0]: unknown key; '
        "did you mean 'rebate_schedule'?")


def test_a_package_that_really_names_nothing_is_still_reported(tmp_path, capsys):
    path = tmp_path / "bad_pkg.toml"
    path.write_text(PACKAGES.split("[packages.deep_land.overrides.")[0].replace('"deep_land"', '"deep_lnd"'),
                    encoding="utf-8")
    assert cli_error(capsys, "sweep", path, "--out", tmp_path / "out").startswith(
        f'{path}: packages.deep_land.overrides."focal.package" = \'deep_lnd\': names no package; known: ')


# ------------------------------------------------------------------------------ item 7: the wrong kind of file
def test_run_on_an_experiment_names_the_sweep_command(capsys):
    path = Path("experiments") / "take_off.toml"
    assert cli_error(capsys, "run", REPO / path) == (
        f"{REPO / path}: file: is an experiment, not a scenario (it sets base_scenario, replicates, sweep_seed, "
        f"fiscal_baseline, design, levers); run it with `clustersim sweep {REPO / path}`")


def test_sweep_on_a_scenario_names_the_run_command(capsys, tmp_path):
    path = REPO / "scenarios" / "baseline.toml"
    assert cli_error(capsys, "sweep", path, "--out", tmp_path) == (
        f"{path}: file: is a scenario, not an experiment (it sets focal_county, geography and no base_scenario); "
        f"run it with `clustersim run {path}`")


@pytest.mark.parametrize("text", ["", "# only a comment\n"])
def test_an_empty_scenario_is_refused_unless_asked_for(capsys, tmp_path, text):
    path = tmp_path / "empty.toml"
    path.write_text(text, encoding="utf-8")
    assert cli_error(capsys, "run", path, "--out", tmp_path / "out") == (
        f'{path}: file: is empty; a scenario sets at least one field (write name = "defaults" to run the '
        "model's defaults)")
    path.write_text('name = "defaults"\n', encoding="utf-8")  # asked for explicitly: runs
    assert main(["run", str(path), "--years", "1", "--out", str(tmp_path / "out"), "--no-figure"]) == 0


def test_an_empty_experiment_says_what_it_needs(capsys, tmp_path):
    path = tmp_path / "empty.toml"
    path.write_text("", encoding="utf-8")
    assert cli_error(capsys, "sweep", path, "--out", tmp_path / "out") == (
        f"{path}: file: is empty; an experiment needs name, base_scenario, sweep_seed and its levers or "
        "uncertainties (see experiments/README.md)")


# ------------------------------------------------------------------------------ item 9: smaller ones
def test_sigterm_to_a_sweep_says_how_to_resume(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    experiment = tmp_path / "long.toml"
    experiment.write_text(f'''name = "long"
base_scenario = "{HELD}"
years = 40
replicates = 400
sweep_seed = 5
[levers.depth]
parameter = "focal.subsidy_depth"
values = [0, 1]
''', encoding="utf-8")
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "clustersim", "sweep", str(experiment), "--out", str(out),
                             "--workers", "2", "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, cwd=REPO)
    try:
        deadline = time.monotonic() + 60
        # mid-sweep: the workers are up and the first runs are written (a signal while the pool is still
        # starting can catch a worker half-spawned; see the report's notes). The 800 runs take far longer
        # than the first flush (FLUSH_SECONDS or FLUSH_RUNS): with fewer, a fast machine could finish the
        # sweep, and write its only part, before the signal.
        while not list((out / "runs").glob("part-*.parquet")) and time.monotonic() < deadline:
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("interrupted by SIGTERM after ")
    assert err.strip().endswith(f"the finished runs are saved in {out}/: run the same command with --resume to finish")
    assert "leaked" not in err and "Traceback" not in err, err


def test_demo_help_gives_the_demo_replicates(capsys):
    with pytest.raises(SystemExit):
        main(["demo", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "replicates per design point (default: 16, fewer than the experiment's, to finish in under a minute)" \
        in text
    assert "(default: the experiment's)" not in text


def test_readme_timings_say_what_machine_and_make_says_what_it_installs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    # the main job's time names the machine and its load
    assert re.search(r"\(~?[\d ]+(min|s)[^)]* on (an idle|a) 2-core machine[^)]*see Speed; first setup adds ~1 min\)",
                     readme)
    assert "about 20 s on the same idle 2-core machine" in readme
    assert "Every timing in this README was measured on the 2-core development machine (AMD EPYC,\nx86-64 Linux" \
        in readme
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    # pip --quiet prints nothing for a minute: a line before it says what is happening
    lines = makefile.splitlines()
    quiet = next(i for i, line in enumerate(lines) if "pip install --quiet -e" in line)
    assert any(line.strip().startswith('@echo "setup: installing clustersim') for line in lines[:quiet])


# ------------------------------------------------------------------------------ decision threads
@pytest.mark.parametrize("value", ["0", "two", "1.5", "-3"])
def test_a_bad_thread_count_in_the_environment_is_refused_before_any_work(tmp_path, capsys, monkeypatch, value):
    monkeypatch.setenv("CLUSTERSIM_THREADS", value)
    assert cli_error(capsys, "run", HELD, "--years", "1", "--out", tmp_path / "out") == \
        f"environment: CLUSTERSIM_THREADS = {value!r}: a whole number of threads, at least 1"
    assert not (tmp_path / "out").exists()


def test_a_bad_thread_count_from_python_names_the_call():
    from clustersim.scenario import ScenarioError
    from clustersim.threads import set_decision_threads

    refused = r"^set_decision_threads\(\): n = .*: a whole number of threads, at least 1"
    for value in (0, 2.0, True):
        with pytest.raises(ScenarioError, match=refused):
            set_decision_threads(value)
