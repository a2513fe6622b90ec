// Loads the kernel extensions that NuGet packages carry (interactive-extensions/dotnet/*.dll), as the
// dotnet-interactive tool does, so `#r "nuget: Microsoft.Data.Analysis"` formats DataFrames as tables.
using System.Collections.Concurrent;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.DotNet.Interactive;
using Microsoft.DotNet.Interactive.Events;

namespace Grpo.Notebooks.Tests;

static class NuGetKernelExtensions
{
    public static void LoadFromNuGetPackages(CompositeKernel kernel)
    {
        var added = new ConcurrentQueue<string>();
        var seenRoots = new HashSet<string>();
        var loaded = new HashSet<string>();
        kernel.RegisterForDisposal(kernel.KernelEvents.Subscribe(new Observer(e =>
        {
            if (e is PackageAdded { PackageReference.PackageRoot: { } root } && seenRoots.Add(root)) added.Enqueue(root);
        })));
        // After each submission, load what the packages it added bring (the tool does the same in a middleware).
        kernel.AddMiddleware(async (command, context, next) =>
        {
            await next(command, context);
            while (added.TryDequeue(out var root))
            {
                var dir = Path.Combine(root, "interactive-extensions", "dotnet");
                if (!Directory.Exists(dir)) continue;
                foreach (var dll in Directory.GetFiles(dir, "*.dll"))
                {
                    if (!loaded.Add(AssemblyName.GetAssemblyName(dll).FullName)) continue;
                    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(dll);
                    foreach (var type in assembly.ExportedTypes.Where(t =>
                                 !t.IsAbstract && !t.IsInterface && typeof(IKernelExtension).IsAssignableFrom(t)))
                    {
                        var extension = (IKernelExtension)Activator.CreateInstance(type)!;
                        await extension.OnLoadAsync(kernel);
                        context.Publish(new KernelExtensionLoaded(extension, context.Command));
                    }
                }
            }
        });
    }

    sealed class Observer(Action<KernelEvent> onNext) : IObserver<KernelEvent>
    {
        public void OnNext(KernelEvent value) => onNext(value);
        public void OnError(Exception error) { }
        public void OnCompleted() { }
    }
}
