// GPT-2's byte-level alphabet (as Hugging Face's ByteLevel pre-tokenizer): every byte maps to one printable
// character, so BPE tokens are strings without spaces or control characters ("Ġ" is the space byte).
using System.Text;

namespace Grpo.Model;

public static class ByteLevel
{
    /// <summary>Character for each byte value 0..255 (GPT-2 bytes_to_unicode).</summary>
    public static IReadOnlyList<char> ByteToChar { get; } = BuildTable();

    static readonly Dictionary<char, byte> CharToByte = Enumerable.Range(0, 256).ToDictionary(b => ByteToChar[b], b => (byte)b);

    /// <summary>The 256 symbols in GPT-2 / Qwen vocabulary order (ids 0..255): sorted by character code.</summary>
    public static IReadOnlyList<string> Alphabet { get; } = ByteToChar.Order().Select(c => c.ToString()).ToArray();

    /// <summary>UTF-8 bytes of text, each as its byte-level character.</summary>
    public static string Encode(string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        var chars = new char[bytes.Length];
        for (int i = 0; i < bytes.Length; i++) chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>Appends the bytes of one token as Hugging Face's ByteLevel decoder does: a token made only of
    /// byte symbols gives those bytes; any other token (e.g. an added token with a space) its own UTF-8 bytes.</summary>
    public static void AppendBytes(string token, List<byte> bytes)
    {
        int start = bytes.Count;
        foreach (var c in token)
        {
            if (!CharToByte.TryGetValue(c, out var b))
            {
                bytes.RemoveRange(start, bytes.Count - start);
                bytes.AddRange(Encoding.UTF8.GetBytes(token));
                return;
            }
            bytes.Add(b);
        }
    }

    // Printable Latin-1 bytes map to themselves; the other 68 bytes map to 256, 257, ... in byte order.
    private static char[] BuildTable()
    {
        var table = new char[256];
        int next = 256;
        for (int b = 0; b < 256; b++)
        {
            bool printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            table[b] = printable ? (char)b : (char)next++;
        }
        return table;
    }
}
