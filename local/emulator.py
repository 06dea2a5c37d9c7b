"""The deployable build, run as Lambda runs it: `sam build` of the template for this machine's
processor, then a function of the build under the Lambda Runtime Interface Emulator (the binary
SAM CLI ships for `sam local invoke`, which runs it in a Docker container) and the runtime
interface client awslambdaric, without Docker.

As in Lambda, the function's build folder is the task root (/var/task) and the working folder,
and each layer's `python` folder is on the path where Lambda's /opt/python is; the interpreter
has awslambdaric and nothing else (.tools/lambda-runtime), so a package missing from a layer, a
wrong handler or a layout mistake fails here as it would after a deploy.

The build goes to .aws-sam/emulator, not to .aws-sam/build, which `make deploy` ships: a build
for this machine's processor (x86_64 here) never goes out as the arm64 deploy.
`make invoke FUNCTION=… EVENT=… EMULATOR=1` runs one function; tests/e2e/test_emulator.py all."""

import importlib.resources
import json
import os
import platform
import subprocess
import sys
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any

from local import processes, template
from local.template import ROOT, TEMPLATE

BUILD_DIR = ROOT / ".aws-sam" / "emulator"
RUNTIME_PYTHON = ROOT / ".tools" / "lambda-runtime" / "bin" / "python"  # `make` installs it
INVOCATIONS_PATH = "/2015-03-31/functions/function/invocations"  # the emulator's Invoke API
PROCESSORS = {"x86_64": "x86_64", "aarch64": "arm64", "arm64": "arm64"}  # uname -m -> Lambda's name


def machine_architecture() -> str:
    return PROCESSORS[platform.machine()]


def sam_build(build_dir: Path, architecture: str = "arm64") -> None:
    """`sam build` of the whole template for `architecture` (the template's Architecture
    parameter, and the dependency layer's wheels: LAYER_ARCHITECTURE) into `build_dir`."""
    venv_bin = str(Path(sys.executable).parent)  # holds python3.13, which sam's builder looks for
    environment = {
        **os.environ,
        "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}",
        "SAM_CLI_TELEMETRY": "0",
        "LAYER_ARCHITECTURE": architecture,
    }
    sam = str(Path(sys.executable).with_name("sam"))
    built = subprocess.run(  # noqa: S603 - our own sam on our own template
        [sam, "build", "--template-file", str(TEMPLATE), "--build-dir", str(build_dir),
         "--parameter-overrides", f"Architecture={architecture}",
         # samconfig.toml caches builds: each build folder its own cache (two at once shared
         # .aws-sam/cache, and one's clean-up removed what the other was reading).
         "--cache-dir", str(build_dir.with_name(f"{build_dir.name}-cache"))],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    if built.returncode != 0:
        raise RuntimeError(f"sam build failed:\n{built.stdout[-3000:]}\n{built.stderr[-3000:]}")


def emulator_binary(architecture: str) -> Path:
    """The Runtime Interface Emulator SAM CLI ships (samcli/local/rapid/aws-lambda-rie-<arch>)."""
    return Path(str(importlib.resources.files("samcli") / "local" / "rapid" / f"aws-lambda-rie-{architecture}"))


def layer_folders(build_dir: Path) -> list[Path]:
    """The built layers of every function (the template's global Layers), in Lambda's order."""
    return [build_dir / layer["Ref"] for layer in template.load()["Globals"]["Function"]["Layers"]]


class EmulatedFunction:
    """One function of the build served by the emulator on a free loopback port."""

    def __init__(
        self, build_dir: Path, function: template.Function, variables: Mapping[str, str], output: IO[str] | None
    ) -> None:
        self.function = function
        task_root = build_dir / function.logical_id
        # Lambda's Python path: the task root, then /opt/python/lib/python3.13/site-packages and
        # /opt/python, where the layers are unpacked.
        paths = [task_root]
        for layer in layer_folders(build_dir):
            paths += [layer / "python" / "lib" / "python3.13" / "site-packages", layer / "python"]
        environment = {
            **variables,
            "PATH": "/usr/local/bin:/usr/bin:/bin",
            "LANG": "C.UTF-8",
            "LAMBDA_TASK_ROOT": str(task_root),
            "PYTHONPATH": ":".join(str(path) for path in paths),
            "AWS_LAMBDA_FUNCTION_NAME": function.logical_id,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(function.memory_size),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(function.timeout),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        }
        # The Invoke API for us, and the Runtime API for awslambdaric (by default 9001 for all:
        # one emulator per machine).
        self.port, runtime_api_port = processes.free_port(), processes.free_port()
        self.process = subprocess.Popen(  # noqa: S603 - SAM CLI's emulator and our own handler
            [str(emulator_binary(machine_architecture())),
             "--runtime-interface-emulator-address", f"127.0.0.1:{self.port}",
             "--runtime-api-address", f"127.0.0.1:{runtime_api_port}",
             str(RUNTIME_PYTHON), "-m", "awslambdaric", function.handler],
            cwd=task_root, env=environment, stdout=output, stderr=subprocess.STDOUT, text=True,
        )  # fmt: skip
        processes.wait_until_listening(self.process, self.port, f"The emulator for {function.logical_id}", 30)

    def invoke(self, event: Any) -> Any:
        """The function's answer to `event` (a failure's is Lambda's errorType and errorMessage)."""
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{INVOCATIONS_PATH}", data=json.dumps(event).encode(), method="POST"
        )
        with urllib.request.urlopen(request, timeout=self.function.timeout + 10) as answer:  # noqa: S310
            return json.loads(answer.read())

    def stop(self) -> None:
        processes.stop(self.process)
