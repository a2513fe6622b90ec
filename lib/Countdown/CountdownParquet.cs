// Reads and writes Countdown-Tasks-3to4 Parquet files: columns `target` (int64) and `nums` (list<int64>).
// pyarrow / Hugging Face mark both OPTIONAL, so values are read as nullable and nulls are reported.
using Parquet;
using Parquet.Data;
using Parquet.Schema;
using Parquet.Serialization;

namespace Grpo.Countdown;

public static class CountdownParquet
{
    /// <summary>The schema pyarrow writes for the dataset: optional int64 target, optional list of optional int64.</summary>
    public static ParquetSchema Schema { get; } =
        new(new DataField<long?>("target"), new ListField("nums", new DataField<long?>("element")));

    public static IReadOnlyList<CountdownProblem> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Countdown Parquet file not found: {path}", path);
        Grpo.Files.InputPaths.RequireRegularFile(path, "Countdown Parquet file");
        try
        {
            return ReadAsync(path).GetAwaiter().GetResult();
        }
        catch (Exception e) when (e is not InvalidDataException and not UnauthorizedAccessException)
        {
            throw new InvalidDataException($"{path}: not a readable Parquet file ({e.Message})", e);
        }
    }

    // Reads the raw columns with their Dremel levels: the high-level deserializer silently drops null list
    // elements, and a null must be reported, not skipped.
    private static async Task<IReadOnlyList<CountdownProblem>> ReadAsync(string path)
    {
        await using var stream = File.OpenRead(path);
        await using var reader = await ParquetReader.CreateAsync(stream);
        var fields = reader.Schema.GetDataFields();
        var targetField = fields.FirstOrDefault(f => f.Path.ToString() == "target" && f.MaxRepetitionLevel == 0)
            ?? throw MissingColumn(path, "target", fields);
        var numsField = fields.FirstOrDefault(f => f.Path.ToString().StartsWith("nums/", StringComparison.Ordinal) && f.MaxRepetitionLevel == 1)
            ?? throw MissingColumn(path, "nums", fields);

        var problems = new List<CountdownProblem>();
        for (int g = 0; g < reader.RowGroupCount; g++)
        {
            using var group = reader.OpenRowGroupReader(g);
            var targets = await ReadTargets(group, targetField, path, problems.Count);
            var nums = await ReadLists(group, numsField, path, problems.Count);
            if (targets.Count != nums.Count)
                throw new InvalidDataException($"{path}: row group {g} has {targets.Count} targets but {nums.Count} nums lists.");
            for (int i = 0; i < targets.Count; i++)
            {
                // docs/countdown-rules.md: a problem has 3 or 4 numbers (the prompt and the rewards assume it).
                if (nums[i].Count is < 3 or > 4)
                    throw new InvalidDataException($"{path}: row {problems.Count}: nums holds {nums[i].Count} number{(nums[i].Count == 1 ? "" : "s")} " +
                        $"[{string.Join(", ", nums[i])}]; a Countdown problem has 3 or 4 (docs/countdown-rules.md)");
                problems.Add(new CountdownProblem(nums[i], targets[i]));
            }
        }
        return problems;
    }

    private static async Task<List<int>> ReadTargets(ParquetRowGroupReader group, DataField field, string path, int firstRow)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field);
        var values = Values(raw, path, "target");
        var result = new List<int>();
        if (field.MaxDefinitionLevel == 0)
        {
            foreach (var v in values) result.Add(ToInt(v, path, "target", firstRow + result.Count));
            return result;
        }
        int next = 0;
        foreach (int def in raw.DefinitionLevels)
        {
            int row = firstRow + result.Count;
            if (def != field.MaxDefinitionLevel) throw new InvalidDataException($"{path}: row {row}: column 'target' holds a null value.");
            result.Add(ToInt(values[next++], path, "target", row));
        }
        return result;
    }

    // Dremel decoding of a list column: repetition level 0 starts a new row; a definition level below the
    // maximum is a null element (one below, when elements are optional) or a null / empty list.
    private static async Task<List<List<int>>> ReadLists(ParquetRowGroupReader group, DataField field, string path, int firstRow)
    {
        using var raw = await group.ReadRawColumnDataBaseAsync(field);
        var values = Values(raw, path, "nums");
        var reps = raw.RepetitionLevels;
        var defs = field.MaxDefinitionLevel > 0 ? raw.DefinitionLevels : default;
        var rows = new List<List<int>>();
        int next = 0;
        for (int i = 0; i < reps.Length; i++)
        {
            if (reps[i] == 0) rows.Add([]);
            int row = firstRow + rows.Count - 1;
            int def = field.MaxDefinitionLevel > 0 ? defs[i] : 0;
            if (def == field.MaxDefinitionLevel) rows[^1].Add(ToInt(values[next++], path, "nums", row));
            else if (field.IsNullable && def == field.MaxDefinitionLevel - 1)
                throw new InvalidDataException($"{path}: row {row}: column 'nums' holds a null element.");
            else throw new InvalidDataException($"{path}: row {row}: column 'nums' is null or an empty list.");
        }
        return rows;
    }

    // Non-null values in order; int64 as pyarrow writes it, int32 from other writers.
    private static long[] Values(RawColumnData raw, string path, string column) => raw switch
    {
        RawColumnData<long> l => l.Values.ToArray(),
        RawColumnData<int> i => i.Values.ToArray().Select(v => (long)v).ToArray(),
        _ => throw new InvalidDataException($"{path}: column '{column}' is {raw.GetType().GenericTypeArguments.FirstOrDefault()?.Name}, not an integer column."),
    };

    private static InvalidDataException MissingColumn(string path, string column, IEnumerable<DataField> fields) =>
        new($"{path}: missing column '{column}' (columns: {string.Join(", ", fields.Select(f => f.Path.ToString()))}).");

    public static void Write(string path, IEnumerable<CountdownProblem> problems)
    {
        var rows = problems.Select(p => (IDictionary<string, object?>)new Dictionary<string, object?>
        {
            ["target"] = (long?)p.Target,
            ["nums"] = p.Nums.Select(n => (long?)n).ToList(),
        }).ToList();
        Grpo.Files.AtomicFile.Write(path, stream => ParquetSerializer.SerializeUntypedAsync(rows, Schema, stream).GetAwaiter().GetResult());
    }

    private static int ToInt(long n, string path, string column, int row) =>
        n is < int.MinValue or > int.MaxValue
            ? throw new InvalidDataException($"{path}: row {row}: column '{column}' value {n} does not fit in an int.")
            : (int)n;
}
