using System;
using System.Collections.Generic;

namespace ConsoleApp
{
    /// <summary>A tiny expression language: numbers, variables, arithmetic, comparisons, calls, conditionals.</summary>
    internal abstract class Node
    {
        public abstract long Eval(Frame frame);
    }

    internal sealed class Frame
    {
        public Frame(long[] slots, Program program)
        {
            Slots = slots;
            Program = program;
        }

        public long[] Slots { get; }
        public Program Program { get; }
    }

    internal sealed class Const : Node
    {
        private readonly long _value;

        public Const(long value) => _value = value;

        public override long Eval(Frame frame) => _value;
    }

    internal sealed class Var : Node
    {
        private readonly int _slot;

        public Var(int slot) => _slot = slot;

        public override long Eval(Frame frame) => frame.Slots[_slot];
    }

    internal sealed class Add : Node
    {
        private readonly Node _left, _right;

        public Add(Node left, Node right) { _left = left; _right = right; }

        public override long Eval(Frame frame) => Arith.Wrap(_left.Eval(frame) + _right.Eval(frame));
    }

    internal sealed class Sub : Node
    {
        private readonly Node _left, _right;

        public Sub(Node left, Node right) { _left = left; _right = right; }

        public override long Eval(Frame frame) => Arith.Wrap(_left.Eval(frame) - _right.Eval(frame));
    }

    internal sealed class Mul : Node
    {
        private readonly Node _left, _right;

        public Mul(Node left, Node right) { _left = left; _right = right; }

        public override long Eval(Frame frame) => Arith.Wrap(_left.Eval(frame) * _right.Eval(frame));
    }

    internal sealed class Less : Node
    {
        private readonly Node _left, _right;

        public Less(Node left, Node right) { _left = left; _right = right; }

        public override long Eval(Frame frame) => _left.Eval(frame) < _right.Eval(frame) ? 1 : 0;
    }

    internal sealed class If : Node
    {
        private readonly Node _condition, _then, _else;

        public If(Node condition, Node then, Node @else) { _condition = condition; _then = then; _else = @else; }

        public override long Eval(Frame frame) => _condition.Eval(frame) != 0 ? _then.Eval(frame) : _else.Eval(frame);
    }

    internal sealed class Call : Node
    {
        private readonly int _function;
        private readonly Node[] _arguments;

        public Call(int function, Node[] arguments) { _function = function; _arguments = arguments; }

        public override long Eval(Frame frame)
        {
            var callee = frame.Program.Functions[_function];
            var slots = new long[callee.SlotCount];
            for (int i = 0; i < _arguments.Length; i++)
            {
                slots[i] = _arguments[i].Eval(frame);
            }

            return callee.Body.Eval(new Frame(slots, frame.Program));
        }
    }

    /// <summary>A rarely used builtin: keeps the hot call sites polymorphic but skewed.</summary>
    internal sealed class Builtin : Node
    {
        private readonly Func<long, long> _function;
        private readonly Node _argument;

        public Builtin(Func<long, long> function, Node argument) { _function = function; _argument = argument; }

        public override long Eval(Frame frame) => _function(_argument.Eval(frame));
    }

    internal sealed class Function
    {
        public Function(string name, int slotCount, Node body)
        {
            Name = name;
            SlotCount = slotCount;
            Body = body;
        }

        public string Name { get; }
        public int SlotCount { get; }
        public Node Body { get; set; }
    }

    internal sealed class Program
    {
        public List<Function> Functions { get; } = new List<Function>();
    }

    internal static class Arith
    {
        private const long Modulus = 1_000_000_007;

        public static long Wrap(long value)
        {
            long r = value % Modulus;
            return r < 0 ? r + Modulus : r;
        }
    }

    /// <summary>Builds the interpreted program: fib, a loop-like recursive sum, and a polynomial.</summary>
    internal static class Programs
    {
        public static Program Build()
        {
            var p = new Program();

            // 0: fib(n) = n < 2 ? n : fib(n - 1) + fib(n - 2)
            var fib = new Function("fib", 1, new Const(0));
            p.Functions.Add(fib);
            fib.Body = new If(
                new Less(new Var(0), new Const(2)),
                new Var(0),
                new Add(new Call(0, new Node[] { new Sub(new Var(0), new Const(1)) }), new Call(0, new Node[] { new Sub(new Var(0), new Const(2)) })));

            // 1: poly(x) = ((3x + 7)x - 11)x + 5
            p.Functions.Add(new Function("poly", 1,
                new Add(new Mul(new Sub(new Mul(new Add(new Mul(new Const(3), new Var(0)), new Const(7)), new Var(0)), new Const(11)), new Var(0)), new Const(5))));

            // 2: sum(n, acc) = n == 0 ? acc : sum(n - 1, acc + poly(n) + abs(n - 50))
            var sum = new Function("sum", 2, new Const(0));
            p.Functions.Add(sum);
            sum.Body = new If(
                new Less(new Var(0), new Const(1)),
                new Var(1),
                new Call(2, new Node[]
                {
                    new Sub(new Var(0), new Const(1)),
                    new Add(new Add(new Var(1), new Call(1, new Node[] { new Var(0) })), new Builtin(Math.Abs, new Sub(new Var(0), new Const(50)))),
                }));
            return p;
        }

        public static long Run(Program program, int function, params long[] arguments)
        {
            var f = program.Functions[function];
            var slots = new long[f.SlotCount];
            Array.Copy(arguments, slots, arguments.Length);
            return f.Body.Eval(new Frame(slots, program));
        }
    }
}
