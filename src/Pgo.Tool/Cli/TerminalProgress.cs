using System;
using System.Diagnostics;
using System.IO;

namespace Pgo.Tool.Cli
{
    /// <summary>
    /// One self-overwriting status line on stderr ("pgo: reading trace 42% (1.1 of 2.7 MB)") while a long step runs.
    /// Shown only when stderr is the process's own, not redirected, so logs, pipes and tests get the plain lines
    /// only. At most ten updates a second; <see cref="Clear"/> erases the line before the next message.
    /// </summary>
    internal sealed class TerminalProgress
    {
        private static readonly long Interval = Stopwatch.Frequency / 10;
        private readonly TextWriter? _terminal;
        private long _last;
        private int _width;

        private TerminalProgress(TextWriter? terminal)
        {
            _terminal = terminal;
        }

        /// <summary>Progress on <paramref name="stderr"/> when it is the console's error stream on a terminal; otherwise silent.</summary>
        public static TerminalProgress For(TextWriter stderr) =>
            new TerminalProgress(ReferenceEquals(stderr, Console.Error) && !Console.IsErrorRedirected ? stderr : null);

        public static TerminalProgress None { get; } = new TerminalProgress(null);

        public bool Enabled => _terminal != null;

        /// <summary>Shows <paramref name="text"/> unless the line was updated less than 100 ms ago.</summary>
        public void Report(string text)
        {
            if (_terminal == null)
            {
                return;
            }

            long now = Stopwatch.GetTimestamp();
            if (now - _last < Interval)
            {
                return;
            }

            _last = now;
            string line = "pgo: " + text;
            _terminal.Write("\r" + line.PadRight(_width));
            _terminal.Flush();
            _width = line.Length;
        }

        /// <summary>A step's share done: "<paramref name="step"/> 42% (<paramref name="detail"/>)".</summary>
        public void Report(string step, long done, long total, string detail)
        {
            if (_terminal != null && total > 0)
            {
                Report($"{step} {Math.Min(100, done * 100 / total)}% ({detail})");
            }
        }

        public void Clear()
        {
            if (_terminal != null && _width > 0)
            {
                _terminal.Write("\r" + new string(' ', _width) + "\r");
                _terminal.Flush();
                _width = 0;
                _last = 0;
            }
        }

        public static string Megabytes(long bytes) => (bytes / 1048576.0).ToString("0.0", System.Globalization.CultureInfo.InvariantCulture);
    }
}
