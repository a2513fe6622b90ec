#!/usr/bin/env bash
# Sets up Jupyter with the .NET (C#) kernel for the notebooks in this folder:
#  1. restores the pinned dotnet-interactive tool from .config/dotnet-tools.json (a local tool, nothing global);
#  2. gives the tool FSharp.Core 10.1 (Plotly.NET 6 needs it; the tool ships 10.0, so chart cells would fail with
#     "Could not load file or assembly 'FSharp.Core, Version=10.1.0.0'");
#  3. registers the kernels with Jupyter, listening on localhost only (--http-local-only), telemetry off;
#  4. publishes the library the notebooks load (artifacts/publish/Grpo.Lib.dll).
# Needs: the .NET 10 SDK and Jupyter (`jupyter` on PATH: conda env from environment.yml, pip, or Debian's
# jupyter-nbconvert / jupyter-client packages). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v dotnet >/dev/null || { echo "setup-jupyter: the .NET 10 SDK is required (https://dot.net)" >&2; exit 1; }
command -v jupyter >/dev/null || { echo "setup-jupyter: jupyter is not on PATH (see environment.yml or README 'Notebooks')" >&2; exit 1; }
# The SDK's and dotnet-interactive's telemetry off (the kernels get the same in their kernel.json, step 3).
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

echo "== 1. dotnet-interactive (local tool)"
dotnet tool restore

echo "== 2. FSharp.Core 10.1.403 for Plotly.NET 6"
packages="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
fsharp="$packages/fsharp.core/10.1.403/lib/netstandard2.1/FSharp.Core.dll"
if [ ! -f "$fsharp" ]; then
  # Restoring the library brings FSharp.Core 10.1.403 into the NuGet cache (Grpo.Lib.csproj references it).
  dotnet restore Grpo.Lib.csproj >/dev/null
fi
[ -f "$fsharp" ] || { echo "setup-jupyter: $fsharp not found after restore" >&2; exit 1; }
tool_dir=$(find "$packages/microsoft.dotnet-interactive/1.0.712001" -type f -name DotnetToolSettings.xml -printf '%h\n' | head -n1)
[ -n "$tool_dir" ] || { echo "setup-jupyter: dotnet-interactive 1.0.712001 not found under $packages" >&2; exit 1; }
if ! cmp -s "$fsharp" "$tool_dir/FSharp.Core.dll"; then
  [ -f "$tool_dir/FSharp.Core.dll.orig" ] || cp "$tool_dir/FSharp.Core.dll" "$tool_dir/FSharp.Core.dll.orig"
  cp "$fsharp" "$tool_dir/FSharp.Core.dll"
  echo "replaced $tool_dir/FSharp.Core.dll (original kept as FSharp.Core.dll.orig)"
else
  echo "already done: $tool_dir/FSharp.Core.dll is 10.1.403"
fi

echo "== 3. Jupyter kernels (.net-csharp, .net-fsharp, .net-powershell), localhost only, telemetry off"
dotnet dotnet-interactive jupyter install
# `install` has no --http-local-only; the kernel command has. Without it the kernel's HTTP API listens on every
# interface, so add it to each installed kernel's argv. Jupyter starts the kernel, not this script, so the telemetry
# opt-outs go into the kernel's env. The kernels run `dotnet interactive`, which finds the local tool through
# .config/dotnet-tools.json as long as the notebook lives inside this repository.
jupyter kernelspec list --json | python3 -c '
import json, os, sys
for name, spec in json.load(sys.stdin)["kernelspecs"].items():
    if not name.startswith(".net-"): continue
    path = os.path.join(spec["resource_dir"], "kernel.json")
    kernel = json.load(open(path))
    if "--http-local-only" not in kernel["argv"]:
        kernel["argv"].append("--http-local-only")
    kernel.setdefault("env", {}).update(
        {"DOTNET_INTERACTIVE_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_CLI_TELEMETRY_OPTOUT": "1", "DOTNET_NOLOGO": "1"})
    json.dump(kernel, open(path, "w"), indent=2)
    print(name, " ".join(kernel["argv"]), kernel["env"])
'

echo "== 4. the library the notebooks load"
dotnet publish Grpo.Lib.csproj -c Release -v quiet -nologo
echo "ready: jupyter lab notebooks/   or   jupyter nbconvert --to notebook --execute notebooks/01-data-prep.ipynb"
