// One Qwen2ForCausalLM for a sequence of model folders of the same config (a run's base model and checkpoints): each
// folder's weights load into it, instead of building a model (random initialisation, rotary tables) per folder.
using static TorchSharp.torch;

namespace Grpo.Model;

public sealed class ReusableModel : IDisposable
{
    Qwen2ForCausalLM? model;

    /// <summary>The folder's model in eval mode: the held one with the folder's weights when config.json, dtype and
    /// device match it, else a newly built one (the held one is disposed).</summary>
    public Qwen2ForCausalLM Load(string modelDir, ScalarType dtype, Device device)
    {
        var config = Qwen2Config.Load(modelDir);
        if (model is not null && SameConfig(model.Config, config) && model.Dtype == dtype && model.Device.ToString() == device.ToString())
        {
            try { model.LoadWeights(modelDir); }
            catch { model.Dispose(); model = null; throw; }   // half-loaded weights must not be reused
        }
        else
        {
            model?.Dispose();
            model = null;
            model = Qwen2ForCausalLM.FromPretrained(modelDir, dtype, device);
        }
        model.eval();
        return model;
    }

    static bool SameConfig(Qwen2Config a, Qwen2Config b) =>
        a == b with { EosTokenId = a.EosTokenId } && a.EosTokenId.SequenceEqual(b.EosTokenId);

    public void Dispose() => model?.Dispose();
}
