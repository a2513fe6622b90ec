// The one error type for input a person handed the program (a file, a folder, a flag, a config field): its message
// names that input and says what is wrong with it, so the CLI prints it as one line without a stack trace.
namespace Grpo;

public sealed class BadInputException(string message, Exception? inner = null) : Exception(message, inner);
