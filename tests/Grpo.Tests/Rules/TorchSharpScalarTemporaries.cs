// Which TorchSharp methods make a Scalar temporary inside themselves, found by reading TorchSharp's own IL: a method
// does when its body, or any TorchSharp method it calls or takes a delegate to, converts a number to a Scalar.
using System.Reflection;
using System.Reflection.Emit;
using Grpo.Torch;
using TorchSharp;

namespace Grpo.Tests.Rules;

public static class TorchSharpScalarTemporaries
{
    static readonly Module TorchSharpModule = typeof(Scalar).Module;
    static readonly Dictionary<int, string?> Memo = [];
    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!)
        .ToDictionary(op => op.Value);

    /// <summary>True for the methods that make a new Scalar and hand it to their caller (the implicit conversions,
    /// ToScalar, ToBFloat16Scalar, Tensor.ToScalar): only the project's HeldScalars may call them.</summary>
    public static bool MakesScalar(MethodBase method) =>
        method.Module == TorchSharpModule &&
        (method is MethodInfo { ReturnType: var r } && r == typeof(Scalar) && method.Name is "op_Implicit" or "ToScalar" or "ToBFloat16Scalar"
         || method is ConstructorInfo && method.DeclaringType == typeof(Scalar));

    /// <summary>
    /// Null when the TorchSharp method (by metadata token) makes no Scalar temporary; otherwise the call chain that
    /// does, e.g. "Tensor.add(Tensor) -> Scalar.op_Implicit(Int32)". Only TorchSharp's own calls are followed.
    /// </summary>
    public static string? Why(int metadataToken)
    {
        lock (Memo) return Analyse(Resolve(metadataToken));
    }

    /// <summary>The TorchSharp method with this metadata token (Roslyn's IMethodSymbol.MetadataToken), or null.</summary>
    public static MethodBase? Resolve(int token)
    {
        try { return TorchSharpModule.ResolveMethod(token); }
        catch (ArgumentException) { return null; }
    }

    static string? Analyse(MethodBase? method)
    {
        if (method is null) return null;
        if (Memo.TryGetValue(method.MetadataToken, out var known)) return known;
        Memo[method.MetadataToken] = null;   // a cycle counts as clean until its other paths are known
        string? why = null;
        foreach (var callee in Callees(method))
        {
            if (callee.Module != TorchSharpModule) continue;
            if (MakesScalar(callee)) { why = $"{Name(method)} -> {Name(callee)}"; break; }
            if (Analyse(callee) is string inner) { why = $"{Name(method)} -> {inner}"; break; }
        }
        Memo[method.MetadataToken] = why;
        return why;
    }

    /// <summary>Methods the IL calls (call, callvirt, newobj) or takes a delegate to (ldftn, ldvirtftn).</summary>
    static IEnumerable<MethodBase> Callees(MethodBase method)
    {
        byte[]? il;
        try { il = method.GetMethodBody()?.GetILAsByteArray(); }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or BadImageFormatException) { yield break; }
        if (il is null) yield break;
        var typeArgs = method.DeclaringType is { IsGenericType: true } t ? t.GetGenericArguments() : null;
        var methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        for (int i = 0; i < il.Length;)
        {
            short value = il[i] == 0xFE ? (short)(0xFE00 | il[i + 1]) : il[i];
            var op = OpCodesByValue[value];
            i += op.Size;
            if (op.OperandType == OperandType.InlineMethod)
            {
                var token = BitConverter.ToInt32(il, i);
                MethodBase? callee = null;
                try { callee = method.Module.ResolveMethod(token, typeArgs, methodArgs); }
                catch (Exception e) when (e is ArgumentException or TypeLoadException or FileNotFoundException or BadImageFormatException) { }
                if (callee is not null) yield return callee;
            }
            i += OperandSize(op, il, i);
        }
    }

    static int OperandSize(OpCode op, byte[] il, int at) => op.OperandType switch
    {
        OperandType.InlineNone => 0,
        OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
        OperandType.InlineVar => 2,
        OperandType.InlineI8 or OperandType.InlineR => 8,
        OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, at),
        _ => 4,
    };

    public static string Name(MethodBase m) =>
        $"{m.DeclaringType?.Name}.{m.Name}({string.Join(", ", m.GetParameters().Select(p => p.ParameterType.Name))})";
}
