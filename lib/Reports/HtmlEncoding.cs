// Encodes text for the place it lands in an HTML page. Run names, checkpoint labels, config values and completions
// come from files a person (or a model) wrote, so none of them may end a tag, an attribute or a <script> block.
using System.Net;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Grpo.Reports;

public static class HtmlEncoding
{
    /// <summary>Element text: &amp; &lt; &gt; " ' become character references.</summary>
    public static string Text(string s) => WebUtility.HtmlEncode(s);

    /// <summary>A double-quoted attribute value (the same references cover both contexts).</summary>
    public static string Attribute(string s) => WebUtility.HtmlEncode(s);

    // JavaScriptEncoder.Default writes < > & ' + and every non-ASCII character (U+2028/U+2029 included) as \uXXXX
    // escapes, so the JSON can neither close the <script> element, open an HTML comment, nor break a JS string.
    static readonly JsonSerializerOptions ScriptOptions = new() { Encoder = JavaScriptEncoder.Default };

    /// <summary>A JSON value to place inside a &lt;script&gt; element (as a JavaScript expression).</summary>
    public static string ScriptJson(JsonNode? value) => value is null ? "null" : value.ToJsonString(ScriptOptions);

    /// <summary>Script source (a library such as plotly.js) to inline: "&lt;/script" and "&lt;!--" cannot appear raw.</summary>
    public static string ScriptSource(string javascript) =>
        System.Text.RegularExpressions.Regex.Replace(javascript, "</(?=script)", @"<\/", System.Text.RegularExpressions.RegexOptions.IgnoreCase)
            .Replace("<!--", @"<\!--");
}
