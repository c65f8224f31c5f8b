"""The release workflow publishes what the add-on, the README and the Dockerfiles name.

actionlint (./scripts/lint) checks the workflows' syntax and expressions; this checks that
they agree with the rest of the repository.
"""

from __future__ import annotations

from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
RELEASE = yaml.safe_load((WORKFLOWS / "release.yml").read_text())
ADDON = yaml.safe_load((REPO / "addon" / "config.yaml").read_text())
DOCKER_PLATFORMS = {"amd64": "linux/amd64", "aarch64": "linux/arm64"}


def steps(job: str) -> list[dict]:
    return RELEASE["jobs"][job]["steps"]


def action(job: str, name: str) -> dict:
    (found,) = [step for step in steps(job) if step.get("uses", "").startswith(name)]
    return found["with"]


def test_ci_runs_the_test_script_on_every_push() -> None:
    ci = yaml.safe_load((WORKFLOWS / "ci.yml").read_text())
    assert {"push", "pull_request", "workflow_call"} <= set(ci[True])  # YAML reads `on` as True
    assert any("./scripts/test" in step.get("run", "") for step in ci["jobs"]["test"]["steps"])


def test_a_release_is_tested_and_states_its_version_everywhere_first() -> None:
    assert RELEASE[True]["push"]["tags"] == ["v*"]
    assert RELEASE["jobs"]["test"]["uses"] == "./.github/workflows/ci.yml"
    assert "scripts/bump_version.py --check" in steps("version")[-1]["run"]
    for job in ("dist", "images", "addon"):
        assert {"test", "version"} <= set(RELEASE["jobs"][job]["needs"]), job


def test_the_package_is_published_by_trusted_publishing() -> None:
    publish = RELEASE["jobs"]["publish"]
    assert publish["permissions"] == {"id-token": "write"}
    assert steps("publish")[-1]["uses"].startswith("pypa/gh-action-pypi-publish@")
    assert "with" not in steps("publish")[-1]  # no token or password


def test_the_add_on_images_are_those_its_manifest_names() -> None:
    assert RELEASE["env"]["ADDON_IMAGE"] == ADDON["image"]
    matrix = RELEASE["jobs"]["addon"]["strategy"]["matrix"]["include"]
    assert {entry["arch"]: entry["platform"] for entry in matrix} == {
        arch: DOCKER_PLATFORMS[arch] for arch in ADDON["arch"]
    }
    built = action("addon", "docker/build-push-action")
    assert built["context"] == "addon"
    assert "POLYTTS_VERSION=${{ needs.version.outputs.version }}" in built["build-args"]


def test_both_standalone_images_are_multi_arch() -> None:
    matrix = RELEASE["jobs"]["images"]["strategy"]["matrix"]["include"]
    assert {entry["dockerfile"] for entry in matrix} == {"Dockerfile", "Dockerfile.cuda"}
    platforms = action("images", "docker/build-push-action")["platforms"].split(",")
    assert set(platforms) == set(DOCKER_PLATFORMS.values())


def test_the_readme_runs_the_published_image() -> None:
    assert f"{RELEASE['env']['IMAGE']}:latest" in (REPO / "README.md").read_text()
