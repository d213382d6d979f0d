using System;
using System.Collections.Generic;
using System.Globalization;

namespace Pgo.Tool.Cli
{
    /// <summary>
    /// A small POSIX-style argument reader: <c>-o file</c>, <c>--out=file</c>, <c>--flag</c>, positionals, and
    /// everything after <c>--</c> kept verbatim (the command to record).
    /// </summary>
    public sealed class Arguments
    {
        private readonly Dictionary<string, List<string>> _options = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        private readonly HashSet<string> _flags = new HashSet<string>(StringComparer.Ordinal);

        private Arguments()
        {
        }

        public List<string> Positionals { get; } = new List<string>();

        /// <summary>Arguments after <c>--</c>.</summary>
        public List<string> Rest { get; } = new List<string>();

        public bool Help => _flags.Contains("help");

        /// <param name="valueOptions">option names (long, without dashes) that take a value, mapped from their aliases.</param>
        /// <param name="flagOptions">option names that are plain switches.</param>
        public static Arguments Parse(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> valueOptions, IReadOnlyDictionary<string, string> flagOptions)
        {
            var result = new Arguments();
            for (int i = 0; i < args.Count; i++)
            {
                string arg = args[i];
                if (arg == "--")
                {
                    for (int j = i + 1; j < args.Count; j++)
                    {
                        result.Rest.Add(args[j]);
                    }

                    break;
                }

                if (arg == "-h" || arg == "--help" || arg == "-?")
                {
                    result._flags.Add("help");
                    continue;
                }

                if (arg.Length > 1 && arg[0] == '-')
                {
                    string name = arg;
                    string? inline = null;
                    int eq = arg.IndexOf('=');
                    if (eq > 0)
                    {
                        name = arg.Substring(0, eq);
                        inline = arg.Substring(eq + 1);
                    }

                    if (valueOptions.TryGetValue(name, out var option))
                    {
                        string value = inline ?? (i + 1 < args.Count ? args[++i] : throw ToolException.Usage($"option {name} needs a value"));
                        if (!result._options.TryGetValue(option, out var list))
                        {
                            result._options.Add(option, list = new List<string>());
                        }

                        list.Add(value);
                        continue;
                    }

                    if (flagOptions.TryGetValue(name, out var flag) && inline == null)
                    {
                        result._flags.Add(flag);
                        continue;
                    }

                    throw ToolException.Usage($"unknown option {name}");
                }

                result.Positionals.Add(arg);
            }

            return result;
        }

        public bool Flag(string name) => _flags.Contains(name);

        public string? Value(string name)
        {
            if (!_options.TryGetValue(name, out var list))
            {
                return null;
            }

            if (list.Count > 1)
            {
                throw ToolException.Usage($"option --{name} given more than once");
            }

            return list[0];
        }

        public IReadOnlyList<string> Values(string name) => _options.TryGetValue(name, out var list) ? list : (IReadOnlyList<string>)Array.Empty<string>();

        /// <summary>Go-style durations: <c>30s</c>, <c>2m</c>, <c>1m30s</c>, <c>500ms</c>, <c>1h</c>; a bare number is seconds.</summary>
        public static TimeSpan ParseDuration(string text)
        {
            if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double bare) && bare > 0)
            {
                CheckRange(bare * 1000, text);
                return TimeSpan.FromSeconds(bare);
            }

            double ms = 0;
            int pos = 0;
            bool any = false;
            while (pos < text.Length)
            {
                int start = pos;
                while (pos < text.Length && (char.IsDigit(text[pos]) || text[pos] == '.'))
                {
                    pos++;
                }

                if (start == pos || !double.TryParse(text.Substring(start, pos - start), NumberStyles.Float, CultureInfo.InvariantCulture, out double n))
                {
                    throw ToolException.Usage($"invalid duration '{text}' (examples: 30s, 2m, 1m30s, 500ms)");
                }

                int unitStart = pos;
                while (pos < text.Length && char.IsLetter(text[pos]))
                {
                    pos++;
                }

                double scale = text.Substring(unitStart, pos - unitStart) switch
                {
                    "ms" => 1,
                    "s" => 1000,
                    "m" => 60_000,
                    "h" => 3_600_000,
                    _ => throw ToolException.Usage($"invalid duration '{text}' (examples: 30s, 2m, 1m30s, 500ms)"),
                };
                ms += n * scale;
                any = true;
            }

            if (!any || ms <= 0)
            {
                throw ToolException.Usage($"invalid duration '{text}' (examples: 30s, 2m, 1m30s, 500ms)");
            }

            CheckRange(ms, text);
            return TimeSpan.FromMilliseconds(ms);
        }

        /// <summary>"Infinity", "1e300" or "99999999999999999h" are usage errors, not a TimeSpan overflow.</summary>
        private static void CheckRange(double ms, string text)
        {
            if (double.IsNaN(ms) || double.IsInfinity(ms) || ms >= TimeSpan.MaxValue.TotalMilliseconds)
            {
                throw ToolException.Usage($"invalid duration '{text}' (examples: 30s, 2m, 1m30s, 500ms)");
            }
        }
    }
}
