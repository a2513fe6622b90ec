// Bad input to `grpo serve` and to the rollout-server settings of `grpo train`, through the real CLI: one error line
// naming the flag or field, exit code 1, nothing written.
using Xunit;

namespace Grpo.Tests.BadInput;

public sealed class ServeBadInputTests : IDisposable
{
    readonly Cli cli = new();

    public void Dispose() => cli.Dispose();

    [Fact]
    public void Serve_without_a_model_folder_is_refused_naming_it() =>
        cli.AssertCleanError(cli.Run("serve", "--model", "no-such-model"), "--model", "no-such-model");

    [Fact]
    public void Serve_with_a_missing_adapters_root_is_refused_naming_it() =>
        cli.AssertCleanError(cli.Run("serve", "--model", Cli.TinyModel, "--adapters-root", "no-such-folder"), "--adapters-root", "no-such-folder");

    [Theory]
    [InlineData("--host", "localhost", "IP address")]
    [InlineData("--port", "70000", "--port")]
    [InlineData("--max-n", "0", "--max-n")]
    public void Serve_with_a_bad_flag_value_is_refused_naming_it(string flag, string value, string fragment) =>
        cli.AssertCleanError(cli.Run("serve", "--model", Cli.TinyModel, flag, value), fragment, value);

    [Theory]
    [InlineData("vllm_mode=colocate", "vllm_mode", "colocate")]
    [InlineData("vllm_server_api=tgi", "vllm_server_api", "tgi")]
    [InlineData("vllm_server_base_url=ftp://host:21", "ftp://host:21")]
    [InlineData("vllm_importance_sampling_mode=clip", "vllm_importance_sampling_mode", "clip")]
    [InlineData("vllm_server_timeout=0", "vllm_server_timeout")]
    public void Train_with_a_bad_rollout_server_setting_is_refused_naming_the_field(string assignment, params string[] fragments) =>
        cli.AssertCleanError(cli.Run("train", "--name", "x", "--set", "use_vllm=true", "--set", assignment), fragments);
}
