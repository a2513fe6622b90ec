// Activation checkpointing as PyTorch's reentrant torch.utils.checkpoint: a block (one decoder layer) runs without
// keeping its activations for backward; backward runs it again from its saved inputs with gradients on and
// backpropagates the incoming gradient through the re-run, so parameter gradients accumulate as usual. Memory per
// block drops to its inputs and outputs, for one more forward of the block in backward.
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

public static class ActivationCheckpoint
{
    /// <summary>
    /// outputs = block(inputs), with the block's activations recomputed in backward. The block must be a function of
    /// its inputs and the parameters it reads; its random draws (LoRA dropout) are replayed: the states of
    /// <paramref name="randomStreams"/> and of the default CPU generator are saved before the forward and restored for
    /// the re-run. Without gradients (no_grad, or nothing requires grad) this is just block(inputs).
    /// </summary>
    public static Tensor[] Run(Func<Tensor[], Tensor[]> block, IReadOnlyList<torch.Generator> randomStreams, params Tensor[] inputs)
    {
        if (!is_grad_enabled()) return block(inputs);
        // As transformers' enable_input_require_grads: with frozen embeddings (LoRA) the first layer's input needs no
        // gradient, and an autograd function none of whose inputs requires grad is left out of the graph, which would
        // leave that layer's adapters without gradients. The input had no gradient path, so nothing is cut.
        if (!inputs.Any(t => t.requires_grad))
            inputs = [inputs[0].detach().requires_grad_(true), .. inputs[1..]];
        return [.. Recompute.apply([block, randomStreams, .. inputs])];
    }

    sealed class Recompute : autograd.MultiTensorFunction<Recompute>
    {
        public override string Name => "ActivationCheckpoint";

        public override List<Tensor> forward(autograd.AutogradContext ctx, params object[] vars)
        {
            var block = (Func<Tensor[], Tensor[]>)vars[0];
            var streams = (IReadOnlyList<torch.Generator>)vars[1];
            var inputs = vars[2..].Cast<Tensor>().ToArray();
            ctx.save_data("block", block);
            ctx.save_data("streams", streams);
            ctx.save_data("states", States(streams));
            ctx.save_data("requires_grad", inputs.Select(t => t.requires_grad).ToArray());
            ctx.save_for_backward([.. inputs]);
            // An output without a gradient arrives as an undefined tensor. TorchSharp would replace it by zeros shaped
            // like a stand-in it allocates now, in the caller's dispose scope, which has freed it by the time backward
            // runs ("Tensor invalid -- empty handle").
            ctx.set_materialize_grads(false);
            return [.. block(inputs)];   // runs under no_grad (the autograd function's forward): nothing is kept
        }

        public override List<Tensor> backward(autograd.AutogradContext ctx, List<Tensor> gradOutputs)
        {
            var block = (Func<Tensor[], Tensor[]>)ctx.get_data("block");
            var streams = (IReadOnlyList<torch.Generator>)ctx.get_data("streams");
            var requiresGrad = (bool[])ctx.get_data("requires_grad");
            // The re-run's activations live only until this backward returns (not until the caller's scope ends).
            using var scope = NewDisposeScope();
            var inputs = ctx.get_saved_variables().Select((t, i) => t.detach().requires_grad_(requiresGrad[i])).ToArray();
            var now = States(streams);
            Restore(streams, (byte[][])ctx.get_data("states"));
            Tensor[] outputs;
            try
            {
                using (enable_grad()) outputs = block(inputs);
            }
            finally { Restore(streams, now); }
            var (differentiable, grads) = (new List<Tensor>(), new List<Tensor>());
            for (int i = 0; i < outputs.Length; i++)
                if (outputs[i].requires_grad && !gradOutputs[i].IsInvalid) { differentiable.Add(outputs[i]); grads.Add(gradOutputs[i]); }
            if (differentiable.Count > 0) autograd.backward(differentiable, grads);
            var result = new List<Tensor> { null!, null! };   // the block and the random streams are no tensors
            foreach (var input in inputs)
                result.Add(input.requires_grad ? scope.MoveToOuter(input.grad ?? zeros_like(input)) : null!);
            return result;
        }

        // The default CPU generator (any nn.Dropout) and the given streams, as byte arrays (no tensor outlives a call).
        static byte[][] States(IReadOnlyList<torch.Generator> streams)
        {
            using var scope = NewDisposeScope();
            return [.. streams.Prepend(torch.Generator.Default).Select(g => g.get_state().data<byte>().ToArray())];
        }

        static void Restore(IReadOnlyList<torch.Generator> streams, byte[][] states)
        {
            using var scope = NewDisposeScope();
            var all = streams.Prepend(torch.Generator.Default).ToList();
            for (int i = 0; i < all.Count; i++) all[i].set_state(tensor(states[i], device: CPU));   // generator states live on the host
        }
    }
}
