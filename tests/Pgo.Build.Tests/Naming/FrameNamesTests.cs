using System;
using System.IO;
using System.Linq;
using Microsoft.VisualStudio.TestTools.UnitTesting;
using Pgo.Build.Metadata;
using Pgo.Build.Naming;

namespace Pgo.Build.Tests.Naming
{
    [TestClass]
    public sealed class FrameNamesTests
    {
        [TestMethod]
        // Pyroscope .NET (verbatim from dotnet/profiles/NOTES.md)
        [DataRow("WebApplication1.Controllers!CpuController.fib", "WebApplication1.Controllers.CpuController.fib", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.AspNetCore.Mvc.Infrastructure!ActionMethodExecutor.SyncObjectResultExecutor.Execute", "Microsoft.AspNetCore.Mvc.Infrastructure.ActionMethodExecutor.SyncObjectResultExecutor.Execute", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.AspNetCore.Authorization!AuthorizationMiddleware.<Invoke>d__9.MoveNext", "Microsoft.AspNetCore.Authorization.AuthorizationMiddleware.<Invoke>d__9.MoveNext", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http!HttpProtocol.<ProcessRequests>d__238<TContext>.MoveNext", "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol.<ProcessRequests>d__238.MoveNext", FrameDialect.Pyroscope)]
        [DataRow("System.Runtime.CompilerServices!AsyncMethodBuilderCore.Start<!<Invoke>d__9>", "System.Runtime.CompilerServices.AsyncMethodBuilderCore.Start", FrameDialect.Pyroscope)]
        [DataRow("System.Runtime.CompilerServices!AsyncTaskMethodBuilder.AsyncStateMachineBox<TResult, TResult>.MoveNext", "System.Runtime.CompilerServices.AsyncTaskMethodBuilder.AsyncStateMachineBox.MoveNext", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.Extensions.Internal!PropertyActivator.<>c__DisplayClass9_0<TContext>.<GetPropertiesToActivate>b__0", "Microsoft.Extensions.Internal.PropertyActivator.<>c__DisplayClass9_0.<GetPropertiesToActivate>b__0", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.AspNetCore.Mvc.Controllers!ControllerBinderDelegateProvider.<>c__DisplayClass0_0.<<CreateBinderDelegate>g__Bind|0>d.MoveNext", "Microsoft.AspNetCore.Mvc.Controllers.ControllerBinderDelegateProvider.<>c__DisplayClass0_0.<<CreateBinderDelegate>g__Bind|0>d.MoveNext", FrameDialect.Pyroscope)]
        [DataRow("Microsoft.AspNetCore.Http.Features!FeatureReferences<TCache>.Fetch<!T0, !T1>", "Microsoft.AspNetCore.Http.Features.FeatureReferences.Fetch", FrameDialect.Pyroscope)]
        [DataRow("!Program.Main", "Program.Main", FrameDialect.Pyroscope)]
        // EventPipe / TraceEvent (dotnet/nettrace/NOTES.md)
        [DataRow("mvc-hello-world!Example.Program.Work(int32)", "Example.Program.Work", FrameDialect.EventPipe)]
        [DataRow("System.IO.FileSystem.Watcher!System.IO.FileSystemWatcher+RunningInstance+StaticWatcherRunLoopManager+<>c.<ScheduleEventStream>b__3_0(class System.Object)", "System.IO.FileSystemWatcher.RunningInstance.StaticWatcherRunLoopManager.<>c.<ScheduleEventStream>b__3_0", FrameDialect.EventPipe)]
        [DataRow("Microsoft.AspNetCore.Mvc.Core!Microsoft.AspNetCore.Mvc.Infrastructure.ResourceInvoker+<<InvokeAsync>g__Logged|17_1>d.MoveNext()", "Microsoft.AspNetCore.Mvc.Infrastructure.ResourceInvoker.<<InvokeAsync>g__Logged|17_1>d.MoveNext", FrameDialect.EventPipe)]
        [DataRow("Microsoft.AspNetCore.Server.Kestrel.Core!Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol+<ProcessRequests>d__223`1[System.__Canon].MoveNext()", "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpProtocol.<ProcessRequests>d__223.MoveNext", FrameDialect.EventPipe)]
        [DataRow("System.Private.CoreLib!System.Collections.Generic.ArraySortHelper`1[System.__Canon].IntroSort(value class System.Span`1<!0>,int32,class System.Comparison`1<!0>)", "System.Collections.Generic.ArraySortHelper.IntroSort", FrameDialect.EventPipe)]
        [DataRow("System.Private.CoreLib!System.Array.Sort(!!0[],class System.Comparison`1<!!0>)", "System.Array.Sort", FrameDialect.EventPipe)]
        [DataRow("?!System.Text.Encodings.Web.DefaultUrlEncoder..cctor()", "System.Text.Encodings.Web.DefaultUrlEncoder..cctor", FrameDialect.EventPipe)]
        [DataRow("System.Private.CoreLib!System.ConsolePal+TerminalFormatStrings+<>c.<.cctor>b__28_0()", "System.ConsolePal.TerminalFormatStrings.<>c.<.cctor>b__28_0", FrameDialect.EventPipe)]
        // Datadog
        [DataRow("|lm:WebApplication1 |ns:WebApplication1.Controllers |ct:CpuController |cg: |fn:fib |fg: |sg:(int n)", "WebApplication1.Controllers.CpuController.fib", FrameDialect.Datadog)]
        [DataRow("|lm:System.Private.CoreLib |ns:System.Collections.Generic |ct:Dictionary.Enumerator |cg:<TKey, TValue> |fn:MoveNext |fg: |sg:()", "System.Collections.Generic.Dictionary.Enumerator.MoveNext", FrameDialect.Datadog)]
        // perf map
        [DataRow("void [System.Private.CoreLib] System.Threading.ThreadPoolWorkQueue::Dispatch()[OptimizedTier1]", "System.Threading.ThreadPoolWorkQueue.Dispatch", FrameDialect.PerfMap)]
        [DataRow("instance bool [App] App.Outer`1+Inner::Equals(class System.Object)[Tier0]", "App.Outer.Inner.Equals", FrameDialect.PerfMap)]
        [DataRow("void [App] App.Shape::.ctor()[Optimized]", "App.Shape..ctor", FrameDialect.PerfMap)]
        // OpenTelemetry
        [DataRow("App.Outer/Inner.Method", "App.Outer.Inner.Method", FrameDialect.OpenTelemetry)]
        // our recorder's readable names and other plain names
        [DataRow("Ns.Outer<T>.Inner.Method<U>", "Ns.Outer.Inner.Method", FrameDialect.Plain)]
        [DataRow("RecordTarget.Program.<Main>g__Local|0_0", "RecordTarget.Program.<Main>g__Local|0_0", FrameDialect.Plain)]
        [DataRow("System.Threading.ThreadHelper.ThreadStart(class System.Object)", "System.Threading.ThreadHelper.ThreadStart", FrameDialect.Plain)]
        public void ParsesEveryDialectIntoOneKey(string name, string key, FrameDialect dialect)
        {
            var identity = FrameNames.Parse(name);
            Assert.IsNotNull(identity, name);
            Assert.AreEqual(key, identity.Key, name);
            Assert.AreEqual(dialect, identity.Dialect, name);
        }

        [TestMethod]
        [DataRow("!.Concat")]
        [DataRow("!.op_Equality")]
        [DataRow("?!?")]
        [DataRow("|lm:[native] GC |ns: |ct: |cg: |fn:Collect |fg: |sg:()")]
        [DataRow("0x7f1234")]
        [DataRow("Main")]
        [DataRow("")]
        [DataRow("[Unknown]")]
        [DataRow("example.com/pgo/inline.T")]
        [DataRow("example.com/pgo/inline.(*BS).NS")]
        [DataRow("net/http.HandlerFunc.ServeHTTP")]
        public void FramesThatNameNoMethodParseToNothing(string name) => Assert.IsNull(FrameNames.Parse(name), name);

        [TestMethod]
        public void RecorderSystemNamesGiveTheAssembly()
        {
            var identity = FrameNames.Parse("Ns.Outer<T>.Inner.Method<U>", "App!Ns.Outer`1+Inner::Method``1(int32,!!0)", "/src/Program.cs");
            Assert.IsNotNull(identity);
            Assert.AreEqual(FrameDialect.Recorder, identity.Dialect);
            Assert.AreEqual("App", identity.Assembly);
            Assert.AreEqual("Ns.Outer.Inner.Method", identity.Key);
            Assert.AreEqual("Method", identity.MethodName);
            Assert.AreEqual(".ctor", FrameNames.Parse("void [App] App.Shape::.ctor()[Optimized]")!.MethodName);
            Assert.AreEqual("<.cctor>b__28_0", FrameNames.Parse("X!A.B+<>c.<.cctor>b__28_0()")!.MethodName);
        }

        [TestMethod]
        public void EveryRealPyroscopeNameParsesExceptTheTypelessOnes()
        {
            var names = File.ReadAllLines(TestData.Path_("dotnet", "pyroscope_function_names.txt"))
                .Where(l => l.Length > 0).Select(l => l.Split('\t')[1]).ToList();
            Assert.IsTrue(names.Count >= 80);
            foreach (var name in names)
            {
                var identity = FrameNames.Parse(name);
                if (name.StartsWith("!.", StringComparison.Ordinal))
                {
                    Assert.IsNull(identity, name);
                    continue;
                }

                Assert.IsNotNull(identity, name);
                Assert.AreEqual(FrameDialect.Pyroscope, identity.Dialect, name);
                StringAssert.StartsWith(identity.Key, name.Substring(0, name.IndexOf('!')), name);
                Assert.IsFalse(identity.Key.Contains('!') || identity.Key.Contains(' ') || identity.Key.Contains(".."), name);
            }
        }

        [TestMethod]
        public void EveryRealEventPipeNameParsesExceptUnknownFrames()
        {
            var names = File.ReadAllLines(TestData.Path_("dotnet", "nettrace", "dotnetdiag_webapp_frame_names.txt")).Where(l => l.Length > 0).ToList();
            Assert.AreEqual(84, names.Count);
            int parsed = 0;
            foreach (var name in names)
            {
                var identity = FrameNames.Parse(name);
                if (name == "?!?")
                {
                    Assert.IsNull(identity);
                    continue;
                }

                Assert.IsNotNull(identity, name);
                Assert.AreEqual(FrameDialect.EventPipe, identity.Dialect, name);
                Assert.IsFalse(identity.Key.Contains('(') || identity.Key.Contains('`') || identity.Key.Contains('[') || identity.Key.Contains('+'), name);
                parsed++;
            }

            Assert.AreEqual(83, parsed);
        }

        /// <summary>
        /// Every method of a real assembly (nested generic types, lambdas, local functions, state machines,
        /// constructors), spelled in every producer's dialect, parses back to the key of its metadata name.
        /// </summary>
        [TestMethod]
        public void EveryDialectOfEveryMethodOfARealAssemblyMeetsItsMetadataKey()
        {
            using var assembly = AssemblySymbols.TryOpen(typeof(FrameNames).Assembly.Location)!;
            int checkedMethods = 0;
            foreach (var method in assembly.Methods())
            {
                string? key = FrameNames.KeyOf(method.Name);
                Assert.IsNotNull(key, method.Name);
                foreach (var dialect in DialectWriter.Foreign)
                {
                    string name = DialectWriter.Render(dialect, assembly.AssemblyName, method.TypeFullName, method.MethodName);
                    var identity = FrameNames.Parse(name);
                    Assert.IsNotNull(identity, name);
                    // An OpenTelemetry name without a nested type ("Ns.Type.Method") is an ordinary dotted name.
                    var expected = dialect == FrameDialect.OpenTelemetry && !method.TypeFullName.Contains('+') ? FrameDialect.Plain : dialect;
                    Assert.AreEqual(expected, identity.Dialect, name);
                    Assert.AreEqual(key, identity.Key, $"{dialect}: {name} vs {method.Name}");
                }

                var recorder = FrameNames.Parse(method.Name, method.SystemName);
                Assert.AreEqual(key, recorder?.Key, method.SystemName);
                checkedMethods++;
            }

            Assert.IsTrue(checkedMethods > 500, checkedMethods.ToString());
        }
    }
}
