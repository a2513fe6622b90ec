// Parquet I/O: our own round trip, and files shaped like pyarrow's (OPTIONAL columns and list elements) made here.
using Grpo.Countdown;
using Parquet;
using Parquet.Schema;
using Parquet.Serialization;
using Xunit;

namespace Grpo.Tests.Countdown;

public sealed class CountdownParquetTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("countdown-parquet-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    // The schema pyarrow writes for Countdown-Tasks-3to4 (pa.int64() target, pa.list_(pa.int64()) nums): both
    // OPTIONAL, list elements OPTIONAL and named "element"; plus an extra column a real export may carry.
    private static readonly ParquetSchema PyarrowLike = new(
        new DataField<long?>("target"),
        new ListField("nums", new DataField<long?>("element")),
        new DataField<string>("source"));

    private async Task<string> WriteRaw(string name, ParquetSchema schema, params IDictionary<string, object?>[] rows)
    {
        string path = Path.Combine(_dir, name);
        await using var stream = File.Create(path);
        await ParquetSerializer.SerializeUntypedAsync(rows, schema, stream);
        return path;
    }

    private static IDictionary<string, object?> Row(params (string Column, object? Value)[] cells) =>
        cells.ToDictionary(c => c.Column, c => c.Value);

    [Fact]
    public void Written_problems_read_back_equal()
    {
        var problems = ProblemGenerator.Generate(300, 7, ProblemDistribution.Full);
        string path = Path.Combine(_dir, "sub", "train.parquet");
        CountdownParquet.Write(path, problems);
        Assert.Equal(problems, CountdownParquet.Read(path));
    }

    [Fact]
    public async Task Written_file_has_the_pyarrow_schema()
    {
        string path = Path.Combine(_dir, "one.parquet");
        CountdownParquet.Write(path, [new CountdownProblem([44, 19, 35], 98)]);
        await using var stream = File.OpenRead(path);
        var schema = await ParquetReader.ReadSchemaAsync(stream);
        var fields = schema.GetDataFields();
        Assert.Equal(["target", "nums/list/element"], fields.Select(f => f.Path.ToString()));
        Assert.All(fields, f => Assert.True(f.IsNullable));
        Assert.All(fields, f => Assert.Equal(typeof(long), f.ClrType));
    }

    [Fact]
    public async Task Pyarrow_like_file_with_optional_columns_is_read()
    {
        string path = await WriteRaw("pyarrow.parquet", PyarrowLike,
            Row(("target", (long?)98), ("nums", new List<long?> { 44, 19, 35 }), ("source", "hf")),
            Row(("target", (long?)64), ("nums", new List<long?> { 63, 95, 96, 3 }), ("source", "hf")));
        Assert.Equal([new CountdownProblem([44, 19, 35], 98), new CountdownProblem([63, 95, 96, 3], 64)],
            CountdownParquet.Read(path));
    }

    [Fact]
    public async Task File_with_required_int32_columns_is_read_too()
    {
        var schema = new ParquetSchema(new DataField<int>("target"), new ListField("nums", new DataField<int>("element")));
        string path = await WriteRaw("required.parquet", schema,
            Row(("target", 6), ("nums", new List<int> { 1, 2, 3 })));
        Assert.Equal([new CountdownProblem([1, 2, 3], 6)], CountdownParquet.Read(path));
    }

    [Fact]
    public async Task Null_target_is_reported_with_file_column_and_row()
    {
        string path = await WriteRaw("null-target.parquet", PyarrowLike,
            Row(("target", (long?)1), ("nums", new List<long?> { 1, 2, 3 }), ("source", "a")),
            Row(("target", null), ("nums", new List<long?> { 1, 2, 3 }), ("source", "b")));
        var e = Assert.Throws<InvalidDataException>(() => CountdownParquet.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("row 1", e.Message);
        Assert.Contains("'target'", e.Message);
    }

    [Fact]
    public async Task Null_list_element_is_reported_with_file_column_and_row()
    {
        string path = await WriteRaw("null-num.parquet", PyarrowLike,
            Row(("target", (long?)1), ("nums", new List<long?> { 1, null, 3 }), ("source", "a")));
        var e = Assert.Throws<InvalidDataException>(() => CountdownParquet.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("row 0", e.Message);
        Assert.Contains("'nums'", e.Message);
    }

    [Fact]
    public async Task Missing_column_is_reported_by_name()
    {
        var schema = new ParquetSchema(new DataField<long?>("target"), new DataField<string>("numbers"));
        string path = await WriteRaw("no-nums.parquet", schema, Row(("target", (long?)1), ("numbers", "1,2,3")));
        var e = Assert.Throws<InvalidDataException>(() => CountdownParquet.Read(path));
        Assert.Contains(path, e.Message);
        Assert.Contains("missing column 'nums'", e.Message);
    }

    [Fact]
    public void Missing_file_is_reported_with_its_path()
    {
        string path = Path.Combine(_dir, "nope.parquet");
        var e = Assert.Throws<FileNotFoundException>(() => CountdownParquet.Read(path));
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void Non_parquet_file_is_reported_with_its_path()
    {
        string path = Path.Combine(_dir, "text.parquet");
        File.WriteAllText(path, "not parquet at all");
        var e = Assert.Throws<InvalidDataException>(() => CountdownParquet.Read(path));
        Assert.Contains(path, e.Message);
    }
}
