// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data)
// with a validating header parser, so that bad files fail with the file and tensor named.
// Own reader/writer rather than PyBridge: it checks every header entry against the file and writes the
// `__metadata__: {"format": "pt"}` that transformers requires when it loads a safetensors file.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Grpo.Files;
using TorchSharp;
using static TorchSharp.torch;

namespace Grpo.Model;

public sealed record SafeTensorEntry(string Name, string Dtype, long[] Shape, long Begin, long End);

public static class SafeTensors
{
    const long MaxHeaderBytes = 100_000_000;

    /// <summary>Parses and validates the header of a safetensors file (offsets inside the file, sizes match shapes).</summary>
    public static IReadOnlyList<SafeTensorEntry> ReadHeader(string path, out long dataStart)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"Weights file not found: {path}", path);
        InputPaths.RequireRegularFile(path, "weights file");   // a FIFO would block the open below forever
        using var stream = File.OpenRead(path);
        var length = stream.Length;
        if (length < 8) throw new InvalidDataException($"{path}: truncated safetensors file ({length} bytes, no header length)");
        Span<byte> lenBytes = stackalloc byte[8];
        stream.ReadExactly(lenBytes);
        var headerLen = BinaryPrimitives.ReadInt64LittleEndian(lenBytes);
        if (headerLen <= 0 || headerLen > MaxHeaderBytes)
            throw new InvalidDataException($"{path}: malformed safetensors header length {headerLen}");
        if (8 + headerLen > length)
            throw new InvalidDataException($"{path}: truncated safetensors header (header says {headerLen} bytes, file has {length - 8} after the length)");
        var headerBytes = new byte[headerLen];
        stream.ReadExactly(headerBytes);
        dataStart = 8 + headerLen;
        JsonObject header;
        try { header = StrictJson.ParseObject(Encoding.UTF8.GetString(headerBytes), $"{path}: safetensors header"); }
        catch (BadInputException e) { throw new InvalidDataException(e.Message, e); }

        var dataLength = length - dataStart;
        var entries = new List<SafeTensorEntry>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__") continue;
            try
            {
                var obj = node as JsonObject ?? throw new InvalidDataException("entry is not an object");
                var dtype = obj["dtype"]?.GetValue<string>() ?? throw new InvalidDataException("no dtype");
                var shape = (obj["shape"] as JsonArray ?? throw new InvalidDataException("no shape")).Select(x => x!.GetValue<long>()).ToArray();
                var offsets = (obj["data_offsets"] as JsonArray ?? throw new InvalidDataException("no data_offsets")).Select(x => x!.GetValue<long>()).ToArray();
                if (offsets.Length != 2 || offsets[0] < 0 || offsets[1] < offsets[0]) throw new InvalidDataException($"bad data_offsets [{string.Join(", ", offsets)}]");
                if (shape.Any(d => d < 0)) throw new InvalidDataException($"negative dimension in shape [{string.Join(", ", shape)}]");
                var size = ElementSize(dtype);
                var expected = checked(shape.Aggregate(1L, (a, b) => a * b) * size);
                if (offsets[1] - offsets[0] != expected)
                    throw new InvalidDataException($"data_offsets span {offsets[1] - offsets[0]} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {expected}");
                if (offsets[1] > dataLength)
                    throw new InvalidDataException($"data ends at byte {offsets[1]} but the file holds {dataLength} data bytes (truncated file)");
                entries.Add(new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]));
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException or OverflowException)
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\": {e.Message}", e);
            }
        }
        // As the reference implementation (safetensors' validate): tensors tile the data exactly, in offset order,
        // with no overlap (two tensors sharing bytes) and no gap.
        long end = 0;
        foreach (var e in entries.OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (e.Begin < end) throw new InvalidDataException($"{path}: tensor \"{e.Name}\" starts at byte {e.Begin}, inside the previous tensor (overlapping data_offsets)");
            if (e.Begin > end) throw new InvalidDataException($"{path}: tensor \"{e.Name}\" starts at byte {e.Begin}, leaving bytes {end}..{e.Begin} unused (data_offsets with a gap)");
            end = e.End;
        }
        if (end != dataLength)
            throw new InvalidDataException($"{path}: the tensors cover {end} bytes but the file holds {dataLength} data bytes");
        return entries;
    }

    static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw new InvalidDataException($"unsupported dtype \"{dtype}\" (supported: F32, F16, BF16)"),
    };

    /// <summary>Reads every tensor of one file as float32 on the CPU (BF16/F16 widened exactly), one at a time.</summary>
    public static void ReadTensors(string path, Action<SafeTensorEntry, Tensor> consume)
    {
        var entries = ReadHeader(path, out var dataStart);
        if (entries.Count == 0) return;
        using var stream = File.OpenRead(path);
        // One pair of host buffers for the whole file: a new pair per tensor made gigabytes of short-lived managed
        // arrays while a model loaded, which the process's peak memory kept.
        long largest = Math.Clamp(entries.Max(e => (e.End - e.Begin) / ElementSize(e.Dtype)), 1, ChunkElements);
        var buffers = (Bytes: new byte[largest * 4], Floats: new float[largest]);
        foreach (var e in entries)
        {
            using var scope = NewDisposeScope();
            stream.Position = dataStart + e.Begin;
            var t = ReadFloat32(stream, e, buffers).reshape(e.Shape);
            consume(e, t);
        }
    }

    // Chunked so that tensors above 2 GB (a 7B embedding in F32) and the host copies stay small.
    const int ChunkElements = 1 << 24;

    static Tensor ReadFloat32(Stream stream, SafeTensorEntry e, (byte[] Bytes, float[] Floats) buffers)
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian host");
        int size = ElementSize(e.Dtype);
        long count = (e.End - e.Begin) / size;
        var result = empty(count, ScalarType.Float32, device: CPU);   // read on the host; the caller copies it where it belongs
        var (bytes, floats) = buffers;
        for (long done = 0; done < count; done += ChunkElements)
        {
            int n = (int)Math.Min(ChunkElements, count - done);
            stream.ReadExactly(bytes, 0, n * size);
            switch (e.Dtype)
            {
                case "F32":
                    Buffer.BlockCopy(bytes, 0, floats, 0, n * 4);
                    break;
                case "BF16":   // bf16 is the top half of a float32: widening is exact
                    for (int i = 0; i < n; i++)
                        floats[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16);
                    break;
                case "F16":
                    for (int i = 0; i < n; i++)
                        floats[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)));
                    break;
            }
            using var chunk = frombuffer(floats, ScalarType.Float32, count: n);   // a view of the buffer, no copy
            result.narrow(0, done, n).copy_(chunk);
        }
        return result;
    }

    /// <summary>Writes tensors (float32 or bfloat16; others are stored as F32) in name order with format "pt" metadata.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors) => Write(path, tensors.Select(t => Stored(t.Name, t.Tensor)));

    /// <summary>A tensor to write, made when its bytes are written and disposed right after (LoRA's merged weights:
    /// one projection's at a time rather than a second copy of every projection on the device).</summary>
    public sealed record LazyTensor(string Name, long[] Shape, ScalarType Dtype, Func<Tensor> Make);

    /// <summary>An existing tensor as a LazyTensor (writing it disposes only a second reference).</summary>
    public static LazyTensor Stored(string name, Tensor t) => new(name, t.shape, t.dtype, t.alias);

    /// <summary>Writes tensors as the other overload, each made only while it is written.</summary>
    public static void Write(string path, IEnumerable<LazyTensor> tensors)
    {
        var items = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        var layout = new List<(LazyTensor Tensor, string Dtype)>();
        foreach (var t in items)
        {
            var dtype = t.Dtype == ScalarType.BFloat16 ? "BF16" : t.Dtype == ScalarType.Float16 ? "F16" : "F32";
            var bytes = t.Shape.Aggregate(1L, (a, b) => a * b) * (dtype == "F32" ? 4 : 2);
            header[t.Name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.Shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            layout.Add((t, dtype));
            offset += bytes;
        }
        var headerText = header.ToJsonString();
        // Pad the header with spaces to a multiple of 8, as the reference writer does.
        var headerBytes = Encoding.UTF8.GetBytes(headerText + new string(' ', (8 - Encoding.UTF8.GetByteCount(headerText) % 8) % 8));
        // One pair of host buffers for the whole file (sized to the largest tensor's chunk), as ReadTensors.
        long largest = Math.Clamp(items.Count == 0 ? 1 : items.Max(t => t.Shape.Aggregate(1L, (a, b) => a * b)), 1, ChunkElements);
        var buffers = (Bytes: new byte[largest * 4], Floats: new float[largest]);
        AtomicFile.Write(path, stream =>
        {
            var len = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, headerBytes.Length);
            stream.Write(len);
            stream.Write(headerBytes);
            foreach (var (t, dtype) in layout)
            {
                using var made = t.Make();
                if (!made.shape.SequenceEqual(t.Shape) || made.dtype != t.Dtype)
                    throw new InvalidOperationException($"{t.Name}: made [{string.Join(", ", made.shape)}] {made.dtype}, announced [{string.Join(", ", t.Shape)}] {t.Dtype}");
                WriteTensor(stream, made, dtype, buffers);
            }
        });
    }

    static void WriteTensor(Stream stream, Tensor t, string dtype, (byte[] Bytes, float[] Floats) buffers)
    {
        using var scope = NewDisposeScope();
        var flat = t.detach().cpu().contiguous().reshape(-1);
        long count = flat.numel();
        var (bytes, f) = buffers;
        for (long done = 0; done < count; done += ChunkElements)
        {
            int n = (int)Math.Min(ChunkElements, count - done);
            using var part = flat.narrow(0, done, n).to(ScalarType.Float32);
            part.data<float>().CopyTo(f);
            int length = n * (dtype == "F32" ? 4 : 2);
            if (dtype == "F32") Buffer.BlockCopy(f, 0, bytes, 0, length);
            else
                for (int i = 0; i < n; i++)
                {
                    ushort bits = dtype == "BF16"
                        ? (ushort)(BitConverter.SingleToInt32Bits(f[i]) >>> 16)   // exact: the values came from bf16
                        : BitConverter.HalfToUInt16Bits((Half)f[i]);
                    BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(2 * i), bits);
                }
            stream.Write(bytes, 0, length);
        }
    }
}
