// The one progress adapter: reports on the calling thread, at once and in order. System.Progress<T> posts to a
// synchronization context or the thread pool instead, which would race a console renderer or update a notebook
// output after its cell ended.
namespace Grpo;

public sealed class SyncProgress<T>(Action<T> report) : IProgress<T>
{
    public void Report(T value) => report(value);
}
