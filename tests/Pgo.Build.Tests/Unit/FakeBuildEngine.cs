using System;
using System.Collections;
using System.Collections.Generic;
using Microsoft.Build.Framework;

namespace Pgo.Build.Tests.Unit
{
    /// <summary>A build engine for running task classes directly: records what they log.</summary>
    internal sealed class FakeBuildEngine : IBuildEngine6
    {
        private readonly Dictionary<object, object> _taskObjects = new Dictionary<object, object>();

        public FakeBuildEngine(IReadOnlyDictionary<string, string>? globalProperties = null)
        {
            GlobalProperties = globalProperties ?? new Dictionary<string, string>();
        }

        public IReadOnlyDictionary<string, string> GlobalProperties { get; }

        public List<BuildErrorEventArgs> Errors { get; } = new List<BuildErrorEventArgs>();

        public List<BuildWarningEventArgs> Warnings { get; } = new List<BuildWarningEventArgs>();

        public List<BuildMessageEventArgs> Messages { get; } = new List<BuildMessageEventArgs>();

        public bool ContinueOnError => false;

        public int LineNumberOfTaskNode => 0;

        public int ColumnNumberOfTaskNode => 0;

        public string ProjectFileOfTaskNode => "test.csproj";

        public bool IsRunningMultipleNodes => false;

        public IReadOnlyDictionary<string, string> GetGlobalProperties() => GlobalProperties;

        public void LogErrorEvent(BuildErrorEventArgs e) => Errors.Add(e);

        public void LogWarningEvent(BuildWarningEventArgs e) => Warnings.Add(e);

        public void LogMessageEvent(BuildMessageEventArgs e) => Messages.Add(e);

        public void LogCustomEvent(CustomBuildEventArgs e)
        {
        }

        public void LogTelemetry(string eventName, IDictionary<string, string> properties)
        {
        }

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs) =>
            throw new NotSupportedException();

        public bool BuildProjectFile(string projectFileName, string[] targetNames, IDictionary globalProperties, IDictionary targetOutputs, string toolsVersion) =>
            throw new NotSupportedException();

        public bool BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IDictionary[] targetOutputsPerProject, string[] toolsVersion, bool useResultsCache, bool unloadProjectsOnCompletion) =>
            throw new NotSupportedException();

        public BuildEngineResult BuildProjectFilesInParallel(string[] projectFileNames, string[] targetNames, IDictionary[] globalProperties, IList<string>[] removeGlobalProperties, string[] toolsVersion, bool returnTargetOutputs) =>
            throw new NotSupportedException();

        public void Yield()
        {
        }

        public void Reacquire()
        {
        }

        public void RegisterTaskObject(object key, object obj, RegisteredTaskObjectLifetime lifetime, bool allowEarlyCollection) => _taskObjects[key] = obj;

        public object? GetRegisteredTaskObject(object key, RegisteredTaskObjectLifetime lifetime) => _taskObjects.TryGetValue(key, out var o) ? o : null;

        public object? UnregisterTaskObject(object key, RegisteredTaskObjectLifetime lifetime)
        {
            if (_taskObjects.TryGetValue(key, out var o))
            {
                _taskObjects.Remove(key);
                return o;
            }

            return null;
        }
    }
}
