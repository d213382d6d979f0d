using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using Microsoft.VisualStudio.TestTools.UnitTesting;

namespace Pgo.Build.Tests.EndToEnd
{
    /// <summary>
    /// An isolated temp root for one end-to-end test: nuget.config with only the local feed, empty
    /// Directory.Build.props/targets, its own PGO cache; helpers to write projects and build them.
    /// </summary>
    internal sealed class Scenario
    {
        private Scenario(string root)
        {
            Root = root;
            CacheDirectory = Path.Combine(root, ".pgo-cache");
        }

        public string Root { get; }

        public string CacheDirectory { get; set; }

        public static Scenario Create(string name)
        {
            string root = Path.Combine(PackageFeed.RunRoot, "scenarios", name);
            if (Directory.Exists(root))
            {
                Directory.Delete(root, recursive: true);
            }

            Directory.CreateDirectory(root);
            var s = new Scenario(root);
            s.Write("nuget.config", $@"<?xml version=""1.0"" encoding=""utf-8""?>
<configuration>
  <packageSources>
    <clear />
    <add key=""pgo-local"" value=""{PackageFeed.FeedDirectory}"" />
  </packageSources>
</configuration>
");
            s.Write("Directory.Build.props", "<Project />\n");
            s.Write("Directory.Build.targets", "<Project />\n");
            return s;
        }

        public string Path_(string relative) => Path.Combine(Root, relative);

        public string Write(string relative, string content)
        {
            string path = Path_(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, content, new UTF8Encoding(false));
            return path;
        }

        public string Copy(string source, string relative)
        {
            string path = Path_(relative);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            // Bytes, not File.Copy: CI's ../shared is read-only and File.Copy would carry that mode over.
            File.WriteAllBytes(path, File.ReadAllBytes(source));
            return path;
        }

        /// <summary>A console app referencing Pgo.Sdk as a PackageReference (or via the Sdk element).</summary>
        public string AddProject(string directory, string outputType = "Exe", string extra = "", bool sdkForm = false, bool packageReference = true)
        {
            string name = Path.GetFileName(directory.TrimEnd('/'));
            string sdk = sdkForm ? $"\n  <Sdk Name=\"Pgo.Sdk\" Version=\"{PackageFeed.Version}\" />" : "";
            string reference = packageReference ? $"\n    <PackageReference Include=\"Pgo.Sdk\" Version=\"{PackageFeed.Version}\" PrivateAssets=\"all\" />" : "";
            Write(Path.Combine(directory, name + ".csproj"), $@"<Project Sdk=""Microsoft.NET.Sdk"">{sdk}
  <PropertyGroup>
    <OutputType>{outputType}</OutputType>
    <TargetFramework>net10.0</TargetFramework>
    <Nullable>enable</Nullable>
  </PropertyGroup>
  <ItemGroup>{reference}
  </ItemGroup>{extra}
</Project>
");
            Write(Path.Combine(directory, "Program.cs"), outputType == "Library"
                ? "namespace Lib { public static class Hello { public static string Say() => \"hi\"; } }\n"
                : "System.Console.WriteLine(\"hello from a PGO test\");\n");
            return Path.Combine(directory, name + ".csproj");
        }

        /// <summary><c>dotnet build</c> (restore included) at normal verbosity, from <paramref name="workingDirectory"/> (default: the root).</summary>
        public CommandResult Build(string project, params string[] extra) => Dotnet("build", project, extra);

        /// <summary>An MSBuild verb (build, clean, restore, msbuild, publish) with hermetic, verbose logging.</summary>
        public CommandResult Dotnet(string verb, string project, string[] extra, string? workingDirectory = null)
        {
            var args = new List<string> { verb, project, "-nodeReuse:false", "-v:n", "-tl:off", "-clp:NoSummary" };
            args.AddRange(extra);
            return DotNetCli.Run(workingDirectory ?? Root, Environment(), args.ToArray());
        }

        /// <summary>Like <see cref="Dotnet"/>, killed (process tree, SIGKILL) <paramref name="delay"/> after the first output line <paramref name="killWhen"/> accepts.</summary>
        public CommandResult DotnetKilled(string verb, string project, string[] extra, Func<string, bool> killWhen, TimeSpan delay)
        {
            var args = new List<string> { verb, project, "-nodeReuse:false", "-v:d", "-tl:off", "-clp:NoSummary" };
            args.AddRange(extra);
            return DotNetCli.RunAndKill(Root, Environment(), killWhen, delay, args.ToArray());
        }

        /// <summary>Any other dotnet command, as given.</summary>
        public CommandResult Raw(params string[] args) => DotNetCli.Run(Root, Environment(), args);

        private Dictionary<string, string> Environment() => new Dictionary<string, string>
        {
            ["NUGET_PACKAGES"] = PackageFeed.PackagesDirectory,
            ["PgoCacheDirectory"] = CacheDirectory,
        };

        public static void AssertSucceeded(CommandResult result)
        {
            if (result.ExitCode != 0)
            {
                Assert.Fail("build failed:\n" + result);
            }
        }

        /// <summary>The build failed with exit code 1 and logged <paramref name="code"/> as an error.</summary>
        public static void AssertFailedWith(CommandResult result, string code)
        {
            Assert.AreEqual(1, result.ExitCode, result.ToString());
            StringAssert.Contains(result.Output, "error " + code, result.ToString());
        }

        public string PgoDirectory(string projectDirectory) => Path_(Path.Combine(projectDirectory, "obj", "Debug", "net10.0", "pgo"));

        public string Assembly(string projectDirectory) =>
            Path_(Path.Combine(projectDirectory, "bin", "Debug", "net10.0", Path.GetFileName(projectDirectory.TrimEnd('/')) + ".dll"));

        /// <summary>The AssemblyMetadata attributes of a built assembly (key → value).</summary>
        public static Dictionary<string, string> AssemblyMetadata(string assemblyPath)
        {
            using var stream = File.OpenRead(assemblyPath);
            using var pe = new PEReader(stream);
            var md = pe.GetMetadataReader();
            var result = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var handle in md.GetAssemblyDefinition().GetCustomAttributes())
            {
                var attribute = md.GetCustomAttribute(handle);
                if (attribute.Constructor.Kind != HandleKind.MemberReference)
                {
                    continue;
                }

                var ctor = md.GetMemberReference((MemberReferenceHandle)attribute.Constructor);
                var type = md.GetTypeReference((TypeReferenceHandle)ctor.Parent);
                if (md.GetString(type.Name) != "AssemblyMetadataAttribute")
                {
                    continue;
                }

                var blob = md.GetBlobReader(attribute.Value);
                blob.ReadUInt16(); // prolog
                string key = blob.ReadSerializedString() ?? "";
                result[key] = blob.ReadSerializedString() ?? "";
            }

            return result;
        }

        public static string[] SummaryLines(CommandResult result) =>
            result.Output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("PGO: ", StringComparison.Ordinal) && l.Contains("(sha256 ", StringComparison.Ordinal)).ToArray();
    }
}
