using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Tool.Cli;

namespace Pgo.Build.Tests.Tool
{
    /// <summary>The pgo tool's argument reader and duration syntax.</summary>
    [TestClass]
    public sealed class ArgumentsTests
    {
        private static readonly IReadOnlyDictionary<string, string> ValueOptions = new Dictionary<string, string>
        {
            ["-o"] = "output", ["--output"] = "output",
            ["-d"] = "duration", ["--duration"] = "duration",
        };

        private static readonly IReadOnlyDictionary<string, string> FlagOptions = new Dictionary<string, string>
        {
            ["--no-cache"] = "no-cache",
            ["-q"] = "quiet", ["--quiet"] = "quiet",
        };

        private static Arguments Parse(params string[] args) => Arguments.Parse(args, ValueOptions, FlagOptions);

        private static ToolException ParseFails(params string[] args)
        {
            var e = Assert.ThrowsExactly<ToolException>(() => Parse(args));
            Assert.AreEqual(ExitCodes.Usage, e.ExitCode);
            Assert.AreEqual(2, e.ExitCode);
            return e;
        }

        [TestMethod]
        public void Value_options_by_any_alias_map_to_their_canonical_name()
        {
            var a = Parse("-o", "out.pprof", "--duration", "30s");

            Assert.AreEqual("out.pprof", a.Value("output"));
            Assert.AreEqual("30s", a.Value("duration"));
            Assert.AreEqual(0, a.Positionals.Count);
            Assert.AreEqual(0, a.Rest.Count);
            Assert.IsFalse(a.Help);
        }

        [TestMethod]
        public void Inline_values_after_equals_sign()
        {
            var a = Parse("--output=merged.pprof", "-d=2m");

            Assert.AreEqual("merged.pprof", a.Value("output"));
            Assert.AreEqual("2m", a.Value("duration"));
        }

        [TestMethod]
        public void Inline_value_splits_at_the_first_equals_sign_and_may_be_empty()
        {
            Assert.AreEqual("a=b.pprof", Parse("--output=a=b.pprof").Value("output"));
            Assert.AreEqual("", Parse("--output=").Value("output"));
        }

        [TestMethod]
        public void A_separate_value_is_taken_verbatim_even_when_it_starts_with_a_dash()
        {
            var a = Parse("--output", "-weird-name.pprof", "--no-cache");

            Assert.AreEqual("-weird-name.pprof", a.Value("output"));
            Assert.IsTrue(a.Flag("no-cache"));
        }

        [TestMethod]
        public void Flags_by_any_alias_and_absent_ones()
        {
            var a = Parse("--no-cache", "-q");

            Assert.IsTrue(a.Flag("no-cache"));
            Assert.IsTrue(a.Flag("quiet"));
            Assert.IsFalse(a.Flag("verbose"));
            Assert.IsFalse(a.Help);
        }

        [TestMethod]
        public void Repeated_flag_is_allowed()
        {
            Assert.IsTrue(Parse("-q", "--quiet", "-q").Flag("quiet"));
        }

        [TestMethod]
        public void Positionals_keep_their_order_around_options()
        {
            var a = Parse("a.pprof", "-o", "m.pprof", "b.pprof", "--no-cache", "c.pprof");

            CollectionAssert.AreEqual(new[] { "a.pprof", "b.pprof", "c.pprof" }, a.Positionals);
            Assert.AreEqual("m.pprof", a.Value("output"));
        }

        [TestMethod]
        public void Single_dash_and_empty_string_are_positionals()
        {
            var a = Parse("-", "");

            CollectionAssert.AreEqual(new[] { "-", "" }, a.Positionals);
        }

        [TestMethod]
        public void Everything_after_double_dash_is_kept_verbatim()
        {
            var a = Parse("-d", "10s", "--", "dotnet", "run", "-c", "Release", "--", "--help", "-o", "--bogus=1", "-h");

            Assert.AreEqual("10s", a.Value("duration"));
            Assert.AreEqual(0, a.Positionals.Count);
            CollectionAssert.AreEqual(new[] { "dotnet", "run", "-c", "Release", "--", "--help", "-o", "--bogus=1", "-h" }, a.Rest);
            Assert.IsFalse(a.Help, "--help after -- belongs to the recorded command");
            Assert.IsNull(a.Value("output"), "-o after -- belongs to the recorded command");
        }

        [TestMethod]
        public void Double_dash_at_the_end_gives_an_empty_rest()
        {
            var a = Parse("x", "--");

            CollectionAssert.AreEqual(new[] { "x" }, a.Positionals);
            Assert.AreEqual(0, a.Rest.Count);
        }

        [TestMethod]
        [DataRow("-h")]
        [DataRow("--help")]
        [DataRow("-?")]
        public void Help_switches(string help)
        {
            var a = Parse("a.pprof", help);

            Assert.IsTrue(a.Help);
            Assert.IsTrue(a.Flag("help"));
            CollectionAssert.AreEqual(new[] { "a.pprof" }, a.Positionals);
        }

        [TestMethod]
        public void Unknown_option_is_an_error_even_next_to_help()
        {
            // An unknown option is an error wherever it stands, even next to --help.
            var e = ParseFails("--help", "--bogus");

            StringAssert.Contains(e.Message, "--bogus");
        }

        [TestMethod]
        [DataRow("--bogus")]
        [DataRow("-x")]
        [DataRow("--bogus=1")]
        [DataRow("--OUTPUT")]
        public void Unknown_option_is_a_usage_error_naming_it(string option)
        {
            var e = ParseFails("a.pprof", option);

            string name = option.Split('=')[0];
            Assert.AreEqual($"unknown option {name}", e.Message);
        }

        [TestMethod]
        public void Flag_with_an_inline_value_is_a_usage_error()
        {
            var e = ParseFails("--no-cache=true");

            StringAssert.Contains(e.Message, "--no-cache");
        }

        [TestMethod]
        [DataRow("-o")]
        [DataRow("--duration")]
        public void Value_option_at_the_end_without_its_value_is_a_usage_error(string option)
        {
            var e = ParseFails("a.pprof", option);

            Assert.AreEqual($"option {option} needs a value", e.Message);
        }

        [TestMethod]
        public void Duplicate_value_option_is_a_usage_error_when_read_as_one_value()
        {
            var a = Parse("-o", "a.pprof", "--output=b.pprof");

            var e = Assert.ThrowsExactly<ToolException>(() => a.Value("output"));
            Assert.AreEqual(ExitCodes.Usage, e.ExitCode);
            Assert.AreEqual("option --output given more than once", e.Message);
            CollectionAssert.AreEqual(new[] { "a.pprof", "b.pprof" }, a.Values("output").ToArray());
        }

        [TestMethod]
        public void Absent_value_option_reads_as_null_and_no_values()
        {
            var a = Parse("a.pprof");

            Assert.IsNull(a.Value("output"));
            Assert.AreEqual(0, a.Values("output").Count);
        }

        [TestMethod]
        [DataRow("30s", 30_000.0)]
        [DataRow("2m", 120_000.0)]
        [DataRow("1m30s", 90_000.0)]
        [DataRow("500ms", 500.0)]
        [DataRow("1h", 3_600_000.0)]
        [DataRow("1h2m3s", 3_723_000.0)]
        [DataRow("1.5s", 1_500.0)]
        [DataRow("0.5m", 30_000.0)]
        [DataRow("2s500ms", 2_500.0)]
        [DataRow("0s1ms", 1.0)]
        [DataRow("2.5", 2_500.0)]
        [DataRow("90", 90_000.0)]
        public void Durations(string text, double milliseconds)
        {
            Assert.AreEqual(TimeSpan.FromMilliseconds(milliseconds), Arguments.ParseDuration(text));
        }

        [TestMethod]
        [DataRow("")]
        [DataRow("10x")]
        [DataRow("-1s")]
        [DataRow("0s")]
        [DataRow("0")]
        [DataRow("-5")]
        [DataRow("s")]
        [DataRow("ms")]
        [DataRow("1m30")]
        [DataRow("1.2.3s")]
        [DataRow("10 s")]
        [DataRow("10S")]
        [DataRow("NaN")]
        [DataRow("Infinity")]
        [DataRow("1e300")]
        [DataRow("99999999999999999h")]
        public void Invalid_durations_are_usage_errors(string text)
        {
            var e = Assert.ThrowsExactly<ToolException>(() => Arguments.ParseDuration(text));

            Assert.AreEqual(ExitCodes.Usage, e.ExitCode);
            Assert.AreEqual($"invalid duration '{text}' (examples: 30s, 2m, 1m30s, 500ms)", e.Message);
        }
    }
}
