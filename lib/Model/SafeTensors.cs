// Reads and writes the safetensors format (8-byte little-endian header length, JSON header, raw little-endian data)
// with a validating header parser, so that bad files fail with the file and tensor named.
// Own reader/writer rather than PyBridge: it checks every header entry against the file and writes the
// `__metadata__: {"format": "pt"}` that transformers requires when it loads a safetensors file.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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
        try { header = JsonNode.Parse(Encoding.UTF8.GetString(headerBytes)) as JsonObject ?? throw new InvalidDataException($"{path}: safetensors header is not a JSON object"); }
        catch (JsonException e) { throw new InvalidDataException($"{path}: malformed safetensors JSON header: {e.Message}", e); }

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
                var size = ElementSize(dtype);
                var expected = shape.Aggregate(1L, (a, b) => a * b) * size;
                if (offsets[1] - offsets[0] != expected)
                    throw new InvalidDataException($"data_offsets span {offsets[1] - offsets[0]} bytes but shape [{string.Join(", ", shape)}] of {dtype} needs {expected}");
                if (offsets[1] > dataLength)
                    throw new InvalidDataException($"data ends at byte {offsets[1]} but the file holds {dataLength} data bytes (truncated file)");
                entries.Add(new SafeTensorEntry(name, dtype, shape, offsets[0], offsets[1]));
            }
            catch (Exception e) when (e is InvalidDataException or InvalidOperationException or FormatException)
            {
                throw new InvalidDataException($"{path}: tensor \"{name}\": {e.Message}", e);
            }
        }
        return entries;
    }

    static int ElementSize(string dtype) => dtype switch
    {
        "F32" => 4,
        "F16" or "BF16" => 2,
        _ => throw new InvalidDataException($"unsupported dtype \"{dtype}\" (supported: F32, F16, BF16)"),
    };

    /// <summary>Reads every tensor of one file as float32 on the CPU (BF16/F16 widened exactly), then converts to dtype.</summary>
    public static void ReadTensors(string path, Action<SafeTensorEntry, Tensor> consume)
    {
        var entries = ReadHeader(path, out var dataStart);
        using var stream = File.OpenRead(path);
        foreach (var e in entries)
        {
            var bytes = new byte[e.End - e.Begin];
            stream.Position = dataStart + e.Begin;
            stream.ReadExactly(bytes);
            using var scope = NewDisposeScope();
            var t = ToFloat32(bytes, e.Dtype).reshape(e.Shape);
            consume(e, t);
        }
    }

    static Tensor ToFloat32(byte[] bytes, string dtype)
    {
        switch (dtype)
        {
            case "F32":
            {
                var f = new float[bytes.Length / 4];
                Buffer.BlockCopy(bytes, 0, f, 0, bytes.Length);
                if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("big-endian host");
                return tensor(f);
            }
            case "BF16":
            {
                // bf16 is the top half of a float32: widening is exact.
                var f = new float[bytes.Length / 2];
                for (int i = 0; i < f.Length; i++)
                    f[i] = BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)) << 16);
                return tensor(f);
            }
            case "F16":
            {
                var f = new float[bytes.Length / 2];
                for (int i = 0; i < f.Length; i++)
                    f[i] = (float)BitConverter.UInt16BitsToHalf(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(2 * i)));
                return tensor(f);
            }
            default:
                throw new InvalidDataException($"unsupported dtype \"{dtype}\"");
        }
    }

    /// <summary>Writes tensors (float32 or bfloat16; others are stored as F32) in name order with format "pt" metadata.</summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors)
    {
        var items = tensors.OrderBy(t => t.Name, StringComparer.Ordinal).ToList();
        var header = new JsonObject { ["__metadata__"] = new JsonObject { ["format"] = "pt" } };
        long offset = 0;
        var layout = new List<(string Name, Tensor Tensor, string Dtype, long Bytes)>();
        foreach (var (name, t) in items)
        {
            var dtype = t.dtype == ScalarType.BFloat16 ? "BF16" : t.dtype == ScalarType.Float16 ? "F16" : "F32";
            var bytes = t.numel() * (dtype == "F32" ? 4 : 2);
            header[name] = new JsonObject
            {
                ["dtype"] = dtype,
                ["shape"] = new JsonArray(t.shape.Select(s => (JsonNode?)JsonValue.Create(s)).ToArray()),
                ["data_offsets"] = new JsonArray(offset, offset + bytes),
            };
            layout.Add((name, t, dtype, bytes));
            offset += bytes;
        }
        var headerText = header.ToJsonString();
        // Pad the header with spaces to a multiple of 8, as the reference writer does.
        var headerBytes = Encoding.UTF8.GetBytes(headerText + new string(' ', (8 - Encoding.UTF8.GetByteCount(headerText) % 8) % 8));
        var tmp = path + ".tmp";
        using (var stream = File.Create(tmp))
        {
            Span<byte> len = stackalloc byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(len, headerBytes.Length);
            stream.Write(len);
            stream.Write(headerBytes);
            foreach (var (_, t, dtype, _) in layout) stream.Write(ToBytes(t, dtype));
        }
        File.Move(tmp, path, overwrite: true);
    }

    static byte[] ToBytes(Tensor t, string dtype)
    {
        using var scope = NewDisposeScope();
        var f = t.detach().to(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
        if (dtype == "F32")
        {
            var bytes = new byte[f.Length * 4];
            Buffer.BlockCopy(f, 0, bytes, 0, bytes.Length);
            return bytes;
        }
        var half = new byte[f.Length * 2];
        for (int i = 0; i < f.Length; i++)
        {
            ushort bits = dtype == "BF16"
                ? (ushort)(BitConverter.SingleToInt32Bits(f[i]) >>> 16)   // exact: the values came from bf16
                : BitConverter.HalfToUInt16Bits((Half)f[i]);
            BinaryPrimitives.WriteUInt16LittleEndian(half.AsSpan(2 * i), bits);
        }
        return half;
    }
}
