// GRPO trainer end to end on tests/reference/qwen2-tiny (ids 0..299 ordinary, eos 301, pad 302) with a synthetic
// reward, resume equality, atomic checkpoints, LoRA with a KL reference, and checkpoints that load back.
using System.Text.Json;
using Grpo.Model;
using Grpo.Training;
using TorchSharp;
using Xunit;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Grpo.Tests.Training;

public class GrpoTrainerTests(ITestOutputHelper output)
{
    static string TinyDir => TestPaths.Reference("qwen2-tiny");
    // The synthetic reward pays for this token: the one the base model samples most often after the prompts
    // (computed once with the model's own generator, so the reward starts low but not at zero).
    static readonly int Chosen = MostSampledToken();

    static int MostSampledToken()
    {
        using var model = Qwen2ForCausalLM.FromPretrained(TinyDir);
        var seqs = Grpo.Model.Generator.Generate(model, SyntheticPrompts(64, 1).Select(p => p.Ids).ToList(),
            new GenerationOptions(8, Seed: 1), [301], 302);
        return seqs.SelectMany(s => s.Ids).Where(t => t < 300).GroupBy(t => t).OrderByDescending(g => g.Count()).First().Key;
    }

    static IReadOnlyList<TrainingPrompt> SyntheticPrompts(int count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, count)
            .Select(_ => new TrainingPrompt(Enumerable.Range(0, rng.Next(3, 7)).Select(_ => rng.Next(0, 300)).ToArray()))
            .ToList();
    }

    /// <summary>Share of the chosen token among the generated tokens (end token excluded).</summary>
    static readonly RewardFunction ShareOfChosen = new("chosen_share", x =>
    {
        var body = x.CompletionIds.Where(t => t != 301).ToList();
        return body.Count == 0 ? 0 : body.Count(t => t == Chosen) / (double)body.Count;
    });

    static GrpoConfig Config(string dir, int maxSteps, int saveSteps) => GrpoConfig.Tiny with
    {
        ModelNameOrPath = TinyDir, OutputDir = dir, MaxSteps = maxSteps, SaveSteps = saveSteps, Seed = 7,
        PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 2, NumGenerations = 8, MaxCompletionLength = 8,
        LearningRate = 3e-3, LrSchedulerType = "constant", WarmupRatio = 0, Beta = 0, DropZeroStdGroups = false,
        CompletionSampleFraction = 0.25,
    };

    static GrpoTrainer Create(GrpoConfig c, bool resume = false) => GrpoRun.Create(c,
        () => new GrpoTask(SyntheticPrompts(64, 1), [ShareOfChosen], TokenSpec.Raw([301], 302), new SampleLog(c.OutputDir)), resume);

    /// <summary>A task log as a task would write one: a line per completion of every batch, and one extra metric.</summary>
    sealed class SampleLog(string runDir) : ITaskLog
    {
        public string Path => System.IO.Path.Combine(runDir, "samples.txt");

        public void Write(ScoredBatch batch) => File.AppendAllLines(Path, batch.Completions.Select(c =>
            $"{batch.Step} {c.Group} {string.Join(',', batch.RewardNames)} {c.Reward:R} {c.PerFunction[0]:R} {c.Tokens} {c.Text}"));

        public IReadOnlyList<KeyValuePair<string, double>> Metrics(ScoredBatch batch) =>
            [new("task/groups", batch.Completions.Select(c => c.Group).Distinct().Count())];

        public void TruncateAfter(int step)
        {
            if (File.Exists(Path)) File.WriteAllLines(Path, File.ReadAllLines(Path).Where(l => int.Parse(l.Split(' ')[0]) <= step));
        }
    }

    static List<JsonElement> Metrics(string runDir) =>
        File.ReadAllLines(Path.Combine(runDir, "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    static string TempRun(string name) => Path.Combine(Directory.CreateTempSubdirectory("grpo-" + name).FullName, "run");

    [Fact]
    public void Mean_reward_rises_with_a_synthetic_reward()
    {
        var dir = TempRun("rise");
        try
        {
            using (var trainer = Create(Config(dir, 20, 100)))
                trainer.Train();
            var rewards = Metrics(dir).Select(m => m.GetProperty("reward").GetDouble()).ToList();
            output.WriteLine(string.Join(" ", rewards.Select(r => r.ToString("F3"))));
            foreach (var line in File.ReadAllLines(Path.Combine(dir, "logs", "train.log")).Take(6)) output.WriteLine(line);
            Assert.Equal(20, rewards.Count);
            double first = rewards.Take(4).Average(), last = rewards.TakeLast(4).Average();
            Assert.True(last > first + 0.2, $"reward first 4 steps {first:F3}, last 4 steps {last:F3}");
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    static (Tensor Ids, Tensor Mask, Tensor Pos) Batch()
    {
        var ids = tensor(new long[] { 5, 17, 200, 33, 9, 120, 77, 302, 302, 302, 41, 250, 8, 64 }, [2, 7]);
        var mask = tensor(new long[] { 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 1, 1, 1, 1 }, [2, 7]);
        return (ids, mask, Positions.FromAttentionMask(mask));
    }

    static float LogitsDiff(Qwen2ForCausalLM a, Qwen2ForCausalLM b)
    {
        var (ids, mask, pos) = Batch();
        using var _ = no_grad();
        a.eval(); b.eval();
        using var la = a.forward(ids, mask, pos);
        using var lb = b.forward(ids, mask, pos);
        return (la - lb).abs().max().item<float>();
    }

    static readonly string[] TimingKeys = ["step_time", "time/generation", "time/reference", "time/update", "tokens_per_second", "process_memory_mb"];

    [Fact]
    public void Resumed_run_equals_an_uninterrupted_one_and_checkpoints_load_back()
    {
        var a = TempRun("a");
        var b = TempRun("b");
        try
        {
            using (var straight = Create(Config(a, 4, 2)))
            {
                straight.Train();
                // the checkpoint folder is a plain HF folder that the model loader reads back with the same logits
                using var reloaded = Qwen2ForCausalLM.FromPretrained(Path.Combine(a, "checkpoints", "checkpoint-4"));
                Assert.True(LogitsDiff(straight.Policy, reloaded) < 1e-5f);
            }

            using (var interrupted = Create(Config(b, 4, 2)))
            {
                interrupted.Step(); interrupted.Step(); interrupted.Step();   // checkpoint at 2, then step 3 is lost
            }
            Assert.True(Directory.Exists(Path.Combine(b, "checkpoints", "checkpoint-2")));
            Assert.False(Directory.Exists(Path.Combine(b, "checkpoints", "checkpoint-4")));
            using (var resumed = Create(Config(b, 4, 2), resume: true))
            {
                Assert.Equal(2, resumed.GlobalStep);
                resumed.Train();
            }

            var ma = Metrics(a);
            var mb = Metrics(b);
            Assert.Equal(4, mb.Count);
            Assert.Equal([1, 2, 3, 4], mb.Select(m => m.GetProperty("step").GetInt32()));
            for (int i = 0; i < 4; i++)
                foreach (var prop in ma[i].EnumerateObject().Where(p => !TimingKeys.Contains(p.Name) && p.Value.ValueKind == JsonValueKind.Number))
                    Assert.True(Math.Abs(prop.Value.GetDouble() - mb[i].GetProperty(prop.Name).GetDouble()) < 1e-5,
                        $"step {i + 1} {prop.Name}: {prop.Value.GetDouble()} vs {mb[i].GetProperty(prop.Name).GetDouble()}");

            using var wa = Qwen2ForCausalLM.FromPretrained(Path.Combine(a, "checkpoints", "checkpoint-4"));
            using var wb = Qwen2ForCausalLM.FromPretrained(Path.Combine(b, "checkpoints", "checkpoint-4"));
            var pb = wb.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in wa.named_parameters())
                Assert.True((p - pb[name]).abs().max().item<float>() < 1e-6f, name);
            // the task log's lines of the lost step 3 were dropped, then written again by the resumed run
            var samples = File.ReadAllLines(new SampleLog(a).Path);
            Assert.Equal(4 * 16, samples.Length);   // 4 batches of 2 prompts x G=8
            Assert.Equal(samples, File.ReadAllLines(new SampleLog(b).Path));
            Assert.All(mb, m => Assert.Equal(2, m.GetProperty("task/groups").GetDouble()));   // the task's metric, every step
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(a)!, true);
            Directory.Delete(Path.GetDirectoryName(b)!, true);
        }
    }

    [Fact]
    public void Kill_during_a_checkpoint_write_leaves_the_previous_checkpoint_loadable()
    {
        var dir = TempRun("kill");
        try
        {
            using (var trainer = Create(Config(dir, 4, 2)))
            {
                trainer.Step(); trainer.Step();   // checkpoint-2
                trainer.Step();
                // the next checkpoint dies half-way: the model file is written, the rest never is
                var runFolder = new RunFolder(dir);
                var checkpoints = runFolder.CheckpointsDir;
                Assert.Throws<IOException>(() => Checkpoints.Save(runFolder, 4, tmp =>
                {
                    trainer.Policy.SavePretrained(tmp);
                    throw new IOException("simulated kill");
                }));
                // a hard kill leaves its temporary folder behind instead; it must not count as a checkpoint either
                var leftover = Directory.CreateDirectory(Path.Combine(checkpoints, ".tmp-checkpoint-6-dead")).FullName;
                trainer.Policy.SavePretrained(leftover);
                Assert.False(Directory.Exists(Path.Combine(checkpoints, "checkpoint-4")));
                Assert.Equal(2, runFolder.LatestCheckpoint()!.Step);
            }
            using var previous = Qwen2ForCausalLM.FromPretrained(Path.Combine(dir, "checkpoints", "checkpoint-2"));
            using var resumed = Create(Config(dir, 4, 2), resume: true);
            Assert.Equal(2, resumed.GlobalStep);
            Assert.Equal(2, Metrics(dir).Count);   // steps 3-4 of the dead run are dropped from metrics.jsonl
            resumed.Train();
            Assert.Equal(4, new RunFolder(dir).LatestCheckpoint()!.Step);
            Assert.Empty(Directory.GetDirectories(Path.Combine(dir, "checkpoints"), ".tmp-*"));
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    [Fact]
    public void Lora_run_with_kl_to_the_adapter_free_base_saves_a_merged_checkpoint_with_the_same_logits()
    {
        var dir = TempRun("lora");
        try
        {
            var config = Config(dir, 2, 2) with
            {
                UsePeft = true, LoraR = 4, LoraAlpha = 8, LoraDropout = 0.1, Beta = 0.04, NumIterations = 2,
                LearningRate = 1e-2, LossType = "dapo", EpsilonHigh = 0.28,
            };
            using var trainer = Create(config);
            Assert.NotNull(trainer.Lora);
            trainer.Train();
            var metrics = Metrics(dir);
            Assert.Equal(2, metrics.Count);
            Assert.Equal(0.0, metrics[0].GetProperty("kl").GetDouble(), 6);      // first update: policy == base
            Assert.True(metrics[1].GetProperty("kl").GetDouble() > 0);           // second iteration: moved away
            Assert.Equal(metrics[0].GetProperty("time/generation").GetDouble() > 0, true);
            Assert.Equal(0.0, metrics[1].GetProperty("time/generation").GetDouble());  // same generation batch

            var ck = Path.Combine(dir, "checkpoints", "checkpoint-2");
            Assert.True(File.Exists(Path.Combine(ck, "adapter", "adapter_model.safetensors")));
            Assert.True(File.Exists(Path.Combine(ck, "optimizer.safetensors")));
            using var merged = Qwen2ForCausalLM.FromPretrained(ck);
            Assert.True(LogitsDiff(trainer.Policy, merged) < 1e-4f);
            using var baseModel = Qwen2ForCausalLM.FromPretrained(TinyDir);
            Assert.True(LogitsDiff(baseModel, merged) > 1e-3f);                 // the adapters did learn something
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    [Fact]
    public void Bfloat16_full_fine_tuning_updates_float32_masters_and_resumes_exactly()
    {
        var a = TempRun("bf16a");
        var b = TempRun("bf16b");
        try
        {
            // lr 1e-5: each update is far below bf16 resolution for most weights, so without masters they would vanish
            GrpoConfig C(string dir) => Config(dir, 2, 1) with { Dtype = "bfloat16", LearningRate = 1e-5 };
            using (var straight = Create(C(a)))
            {
                Assert.Equal(ScalarType.BFloat16, straight.Policy.Dtype);
                straight.Train();
            }
            using (var first = Create(C(b))) first.Step();
            using (var resumed = Create(C(b), resume: true)) resumed.Train();

            var ck = Path.Combine(a, "checkpoints", "checkpoint-2");
            Assert.True(File.Exists(Path.Combine(ck, Checkpoints.MasterWeightsFile)));
            var masters = new Dictionary<string, Tensor>();
            SafeTensors.ReadTensors(Path.Combine(ck, Checkpoints.MasterWeightsFile), (e, t) => masters[e.Name] = t.clone().DetachFromDisposeScope());
            using var initial = Qwen2ForCausalLM.FromPretrained(TinyDir, ScalarType.BFloat16);
            var start = initial.named_parameters().ToDictionary(p => p.name, p => p.parameter.to(ScalarType.Float32));
            // the float32 masters (which start as the bf16 weights) moved by about lr per update (Adam; warmup makes
            // the first of the two updates use lr 0)
            var moved = masters.Values.Zip(masters.Keys, (m, k) => (m - start[k]).abs().mean().item<float>()).Average();
            Assert.True(moved > 5e-6 && moved < 1e-4, $"mean |master - initial| = {moved}");

            using var wa = Qwen2ForCausalLM.FromPretrained(ck, ScalarType.BFloat16);
            using var wb = Qwen2ForCausalLM.FromPretrained(Path.Combine(b, "checkpoints", "checkpoint-2"), ScalarType.BFloat16);
            var pb = wb.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in wa.named_parameters())
            {
                Assert.Equal(0f, (p - pb[name]).abs().max().to(ScalarType.Float32).item<float>());
                // the saved bf16 weights are the masters rounded
                Assert.Equal(0f, (p.to(ScalarType.Float32) - masters[name].to(ScalarType.BFloat16).to(ScalarType.Float32)).abs().max().item<float>());
            }
            var ma = Metrics(a);
            var mb = Metrics(b);
            Assert.Equal(ma[1].GetProperty("reward").GetDouble(), mb[1].GetProperty("reward").GetDouble(), 6);
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(a)!, true);
            Directory.Delete(Path.GetDirectoryName(b)!, true);
        }
    }

    [Theory]
    [InlineData("grpo")]
    [InlineData("dr_grpo")]
    [InlineData("dapo")]
    public void Gradient_accumulation_gives_the_gradient_of_the_whole_batch(string lossType)
    {
        // Same 4 prompts x 8 completions, once as one micro-batch of 32 and once as 4 of 8: the pre-clipping gradient
        // norm (and so the gradient) must agree. Two iterations, so the second update sees ratios != 1 as well.
        var runs = new[] { (32, 1), (8, 4) }.Select(x =>
        {
            var dir = TempRun("accum");
            try
            {
                var c = Config(dir, 2, 100) with
                {
                    PerDeviceTrainBatchSize = x.Item1, GradientAccumulationSteps = x.Item2, LossType = lossType,
                    NumIterations = 2, SaveSteps = 100, MaxCompletionLength = 6,
                };
                using (var t = Create(c)) t.Train();
                return Metrics(dir);
            }
            finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
        }).ToList();
        for (int step = 0; step < 2; step++)
        {
            double g1 = runs[0][step].GetProperty("grad_norm").GetDouble(), g4 = runs[1][step].GetProperty("grad_norm").GetDouble();
            Assert.True(g1 > 0);
            Assert.True(Math.Abs(g1 - g4) < 1e-4 * g1, $"step {step + 1}: grad_norm {g1} (1 micro-batch) vs {g4} (4)");
            Assert.Equal(runs[0][step].GetProperty("loss").GetDouble(), runs[1][step].GetProperty("loss").GetDouble(), 5);
        }
    }

    [Theory]
    [InlineData("grpo")]
    [InlineData("dr_grpo")]
    [InlineData("dapo")]
    [InlineData("bnpo")]
    public void Shared_prompts_sorted_rows_chunked_logits_and_checkpointing_leave_loss_and_gradient_unchanged(string lossType)
    {
        // The same 4 prompts x 8 completions in 4 micro-batches of 8, once with every memory/speed lever off and once
        // with all on (rows sorted by length change which rows share a micro-batch; bnpo keeps its order, its loss
        // depends on the cut). Two iterations, so the second update has ratios != 1 and clipping; beta > 0 adds the
        // reference pass. Loss, gradient norm, entropy, KL and clip ratio must agree.
        var runs = new[] { false, true }.Select(on =>
        {
            var dir = TempRun("levers");
            try
            {
                var c = Config(dir, 2, 100) with
                {
                    PerDeviceTrainBatchSize = 8, GradientAccumulationSteps = 4, LossType = lossType, NumIterations = 2,
                    Beta = 0.04, MaxCompletionLength = 6, EpsilonHigh = 0.28,
                    SharePromptForward = on, SortByLength = on, GradientCheckpointing = on, LogitsChunkSize = on ? 5 : 0,
                };
                // The model's favourite token ends a completion too, so lengths vary and sorting changes the cut.
                using (var t = GrpoRun.Create(c, () => new GrpoTask(SyntheticPrompts(64, 1), [ShareOfChosen], TokenSpec.Raw([Chosen, 301], 302)), false))
                    t.Train();
                return Metrics(dir);
            }
            finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
        }).ToList();
        Assert.True(runs[0][0].GetProperty("completions/min_length").GetDouble() < runs[0][0].GetProperty("completions/max_length").GetDouble());
        for (int step = 0; step < 2; step++)
            foreach (var name in new[] { "loss", "grad_norm", "entropy", "kl", "clip_ratio", "completions/mean_length" })
            {
                double off = runs[0][step].GetProperty(name).GetDouble(), on = runs[1][step].GetProperty(name).GetDouble();
                Assert.True(Math.Abs(off - on) <= 1e-5 + 1e-4 * Math.Abs(off), $"step {step + 1} {name}: {off} (levers off) vs {on} (on)");
            }
        Assert.True(runs[0][1].GetProperty("grad_norm").GetDouble() > 0);
        Assert.True(runs[0][1].GetProperty("kl").GetDouble() > 0);
    }

    [Fact]
    public void Full_fine_tuning_with_beta_measures_kl_to_a_frozen_copy()
    {
        var dir = TempRun("fullkl");
        try
        {
            using (var trainer = Create(Config(dir, 2, 100) with { Beta = 0.04, LearningRate = 1e-2 }))
                trainer.Train();
            var m = Metrics(dir);
            Assert.Equal(0.0, m[0].GetProperty("kl").GetDouble(), 6);   // before any update the policy is the reference
            Assert.True(m[1].GetProperty("kl").GetDouble() > 1e-4);     // after one update it is not; the copy stayed put
            Assert.True(m[1].GetProperty("time/reference").GetDouble() > 0);
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    [Fact]
    public void Sync_ref_model_moves_the_reference_towards_the_policy_and_a_resume_keeps_it()
    {
        var a = TempRun("synca");
        var b = TempRun("syncb");
        try
        {
            var config = Config(a, 4, 2) with { Beta = 0.04, LearningRate = 1e-2, SyncRefModel = true, RefModelSyncSteps = 2, RefModelMixupAlpha = 0.5 };
            using (var straight = Create(config))
            {
                straight.Train();
                // After the sync at step 4 the saved reference is halfway between the step-4 policy and the reference of step 2.
                using var ref2 = Qwen2ForCausalLM.FromPretrained(TinyDir);
                LoadReference(ref2, Path.Combine(a, "checkpoints", "checkpoint-2"));
                using var ref4 = Qwen2ForCausalLM.FromPretrained(TinyDir);
                LoadReference(ref4, Path.Combine(a, "checkpoints", "checkpoint-4"));
                var policy = straight.Policy.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                var old = ref2.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                using var baseModel = Qwen2ForCausalLM.FromPretrained(TinyDir);
                var basis = baseModel.named_parameters().ToDictionary(p => p.name, p => p.parameter);
                foreach (var (name, r) in ref4.named_parameters())
                {
                    var expected = policy[name] * 0.5 + old[name] * 0.5;
                    Assert.True((r - expected).abs().max().item<float>() < 1e-6f, name);
                }
                Assert.Contains(ref2.named_parameters(), p => (p.parameter - basis[p.name]).abs().max().item<float>() > 1e-4f);   // it moved at step 2 already
            }

            using (var interrupted = Create(config with { OutputDir = b }))
            {
                interrupted.Step(); interrupted.Step(); interrupted.Step();   // checkpoint (and sync) at 2, step 3 lost
            }
            using (var resumed = Create(config with { OutputDir = b }, resume: true)) resumed.Train();
            var ma = Metrics(a);
            var mb = Metrics(b);
            for (int i = 0; i < 4; i++)
                Assert.True(Math.Abs(ma[i].GetProperty("kl").GetDouble() - mb[i].GetProperty("kl").GetDouble()) < 1e-6, $"step {i + 1} kl");
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(a)!, true);
            Directory.Delete(Path.GetDirectoryName(b)!, true);
        }
    }

    static void LoadReference(Qwen2ForCausalLM model, string checkpointDir)
    {
        var byName = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        using var _ = no_grad();
        SafeTensors.ReadTensors(Path.Combine(checkpointDir, Checkpoints.ReferenceModelFile), (entry, t) => byName[entry.Name].copy_(t));
    }

    [Fact]
    public void Sync_ref_model_is_refused_without_a_reference_copy()
    {
        var e = Assert.Throws<BadInputException>(() => (GrpoConfig.Tiny with { SyncRefModel = true, Beta = 0 }).Validated("my.json"));
        Assert.Contains("sync_ref_model", e.Message);
        Assert.Throws<BadInputException>(() => (GrpoConfig.Tiny with { SyncRefModel = true, UsePeft = true }).Validated("my.json"));
    }

    /// <summary>Pays only on prompts whose first id is even (there: the chosen token's share); on the others every
    /// completion gets 0, so their groups carry no learning signal.</summary>
    static readonly RewardFunction EvenPromptsOnly = new("chosen_share", x =>
        x.Prompt.Ids[0] % 2 != 0 ? 0 : ShareOfChosen.Score(x));

    static GrpoTrainer CreateWith(GrpoConfig c, RewardFunction reward) => GrpoRun.Create(c,
        () => new GrpoTask(SyntheticPrompts(64, 1), [reward], TokenSpec.Raw([301], 302), new SampleLog(c.OutputDir)), false);

    [Fact]
    public void Dynamic_sampling_draws_more_prompts_until_every_trained_group_has_signal()
    {
        var dir = TempRun("dynamic");
        try
        {
            // B = 16 / 8 = 2 prompts a step; about half the prompts can never give a group with signal.
            var c = Config(dir, 6, 100) with { DynamicSampling = true, DynamicSamplingMaxDraws = 8 };
            using (var trainer = CreateWith(c, EvenPromptsOnly)) trainer.Train();
            var m = Metrics(dir);
            var logged = File.ReadAllLines(Path.Combine(dir, "samples.txt")).GroupBy(l => int.Parse(l.Split(' ')[0])).ToDictionary(g => g.Key, g => g.Count());
            for (int step = 1; step <= 6; step++)
            {
                int draws = m[step - 1].GetProperty("dynamic_sampling/draws").GetInt32();
                Assert.Equal(draws * 16, logged[step]);   // every drawn completion is logged, the kept ones are trained on
                Assert.Equal(2, m[step - 1].GetProperty("dynamic_sampling/groups_trained").GetInt32());
            }
            // Half the prompts are dead: over six steps some step must have needed a second draw.
            Assert.Contains(m, x => x.GetProperty("dynamic_sampling/draws").GetInt32() > 1);
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }

    [Fact]
    public void Dynamic_sampling_stops_at_its_cap_and_skips_the_update_when_no_group_has_signal()
    {
        var dir = TempRun("dynamiccap");
        try
        {
            var c = Config(dir, 1, 100) with { DynamicSampling = true, DynamicSamplingMaxDraws = 3 };
            using (var trainer = CreateWith(c, new RewardFunction("chosen_share", _ => 0.5))) trainer.Train();
            var m = Metrics(dir)[0];
            Assert.Equal(3, m.GetProperty("dynamic_sampling/draws").GetInt32());
            Assert.Equal(0, m.GetProperty("dynamic_sampling/groups_trained").GetInt32());
            Assert.Equal(1, m.GetProperty("update_skipped").GetInt32());
            Assert.Equal(1.0, m.GetProperty("frac_reward_zero_std").GetDouble());
        }
        finally { Directory.Delete(Path.GetDirectoryName(dir)!, true); }
    }
}
