namespace Pgo.Build.RuntimePgo
{
    /// <summary>
    /// How <c>pgo record</c> carries the runtime's instrumentation data inside a CPU profile
    /// (docs/profile-encoding.md). Go's tools skip these samples: they are 0 in <c>samples/count</c> and
    /// <c>cpu/nanoseconds</c>.
    /// </summary>
    public static class EmbeddedPgo
    {
        /// <summary>Call-site records: histogram counts and receiver-type / delegate-target histogram entries.</summary>
        public const string CallsType = "calls";

        /// <summary>Block and edge counts and other numeric records.</summary>
        public const string BlocksType = "blocks";

        public const string CountUnit = "count";

        /// <summary>Numeric label: the runtime's instrumentation kind (corjit.h ICorJitInfo::PgoInstrumentationKind).</summary>
        public const string KindLabel = "pgo.kind";

        /// <summary>Numeric label: IL offset of the record (the call instruction for call records).</summary>
        public const string IlOffsetLabel = "pgo.il_offset";

        /// <summary>Numeric label: the schema's Other field (edge target IL offset, call flags).</summary>
        public const string OtherLabel = "pgo.other";

        /// <summary>Numeric label: index of a value inside a multi-value numeric record.</summary>
        public const string IndexLabel = "pgo.index";

        /// <summary>Numeric label: IL size of the recorded method.</summary>
        public const string IlSizeLabel = "pgo.il_size";

        /// <summary>Numeric label: token-independent fingerprint of the recorded method's IL (Metadata.IlFingerprint).</summary>
        public const string IlHashLabel = "pgo.il_hash";

        /// <summary>Numeric label: the runtime's version-resilient method hash (identifies a generic instantiation).</summary>
        public const string MethodHashLabel = "pgo.method_hash";

        /// <summary>String label: the runtime's name of a generic instantiation (<c>Ns.List`1[System.Int32].Add</c>).</summary>
        public const string InstantiationLabel = "pgo.instantiation";

        /// <summary>String label: assembly-qualified receiver type of a type-histogram entry.</summary>
        public const string TypeLabel = "pgo.type";

        /// <summary>String label: delegate target of a method-histogram entry (<c>name|@|assembly-qualified type</c>).</summary>
        public const string MethodLabel = "pgo.method";
    }
}
