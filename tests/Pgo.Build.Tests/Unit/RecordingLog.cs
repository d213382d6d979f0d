using System.Collections.Generic;
using Pgo.Build.Engine;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>An <see cref="IPgoLog"/> that keeps what it is told.</summary>
    internal sealed class RecordingLog : IPgoLog
    {
        public List<string> Messages { get; } = new List<string>();

        public List<(string Code, string Text, string? File)> Warnings { get; } = new List<(string, string, string?)>();

        public void Message(string text) => Messages.Add(text);

        public void Warning(string code, string text, string? file) => Warnings.Add((code, text, file));
    }
}
