import Foundation

/// A value of the pickle machine: plain data, containers (lists and dicts are references, as in Python),
/// an allow-listed global, or the torch objects a state_dict pickle builds.
enum PickleValue {
    case none
    case bool(Bool)
    case int(Int)
    /// An integer wider than 64 bits, as little-endian two's-complement bytes (the legacy magic number).
    case bigInt([UInt8])
    case float(Double)
    case string(String)
    case bytes([UInt8])
    /// A tuple and its tuple-nesting depth (at most `Pickle.maxTupleDepth`, so releasing one never recurses
    /// deeply; lists and dicts are torn down by the machine instead).
    case tuple([PickleValue], depth: Int)
    case list(PickleList)
    case dict(PickleDict)
    case global(module: String, name: String)
    case storage(StorageRef)
    case tensor(TensorSpec)
}

/// A pickled list (shared by reference, so memoised lists see later appends).
///
/// Lists and dicts can be nested arbitrarily deep by appending to a memoised inner container, and releasing
/// such a chain would recurse once per level; so the machine keeps every list and dict it creates and
/// empties them all when it is done, and each is released on its own.
final class PickleList {
    var items: [PickleValue] = []
}

/// A pickled dict with its insertion order; keys are kept as their text (str, or int/bool/None spelled out).
final class PickleDict {
    private(set) var keys: [String] = []
    private(set) var values: [String: PickleValue] = [:]

    func set(_ key: String, _ value: PickleValue) {
        if values.updateValue(value, forKey: key) == nil { keys.append(key) }
    }

    func removeAll() {
        keys = []
        values = [:]
    }
}

/// A small, safe pickle machine for `torch.save` state_dicts: the protocol 2–5 opcodes they use, an
/// allow-list of globals (OrderedDict, torch's tensor rebuilders and storage classes), and nothing that can
/// run code. Every length is checked against the remaining input before anything is allocated.
enum Pickle {
    /// The outcome of one pickle: its value, the offset just past its STOP, how many opcodes ran and the
    /// storages its persistent ids named (by root key).
    struct Result {
        let value: PickleValue
        let end: Int
        let steps: Int
        let storages: [String: StorageRef]
    }

    /// Deepest tuple nesting accepted (state_dicts nest tuples three deep).
    static let maxTupleDepth = 100

    /// Runs the pickle starting at `start` in `bytes` up to its STOP opcode and hands the result to `body`;
    /// the pickle's lists and dicts are emptied afterwards, so `body` must extract what it needs.
    static func load<T>(_ bytes: UnsafeRawBufferPointer, from start: Int = 0, _ body: (Result) throws -> T) throws -> T {
        var machine = Machine(bytes: bytes, pos: start)
        defer {
            for list in machine.lists { list.items = [] }
            for dict in machine.dicts { dict.removeAll() }
        }
        return try body(try machine.run())
    }

    /// Globals a pickle may name, besides torch's storage classes.
    static let allowedGlobals: Set<String> = [
        "collections.OrderedDict",
        "torch._utils._rebuild_tensor",
        "torch._utils._rebuild_tensor_v2",
        "torch._utils._rebuild_parameter",
        "torch._utils._rebuild_parameter_with_state",
    ]

    private struct Machine {
        let bytes: UnsafeRawBufferPointer
        var pos: Int
        var stack: [PickleValue] = []
        var marks: [Int] = []
        var memo: [Int: PickleValue] = [:]
        var storages: [String: StorageRef] = [:]
        var steps = 0
        /// Every list and dict created, emptied by `load` when done.
        var lists: [PickleList] = []
        var dicts: [PickleDict] = []
        /// Offset of the opcode being executed (for errors).
        var at = 0

        init(bytes: UnsafeRawBufferPointer, pos: Int) {
            self.bytes = bytes
            self.pos = pos
        }

        mutating func run() throws -> Result {
            while true {
                at = pos
                let op = try byte()
                steps += 1
                switch op {
                case 0x80:  // PROTO
                    let p = try byte()
                    guard p <= 5 else { throw malformed("pickle protocol \(p) is newer than 5") }
                case 0x95:  // FRAME: a length hint, checked and otherwise ignored
                    let n = try uint(8)
                    guard n <= UInt64(bytes.count - pos) else {
                        throw TorchFileError.lengthTooLarge(claimed: n, available: bytes.count - pos, offset: at)
                    }
                case 0x2e:  // STOP
                    let value = try pop()
                    return Result(value: value, end: pos, steps: steps, storages: storages)
                case 0x28: marks.append(stack.count)  // MARK
                case 0x7d: stack.append(.dict(newDict()))  // EMPTY_DICT
                case 0x5d:  // EMPTY_LIST
                    lists.append(PickleList())
                    stack.append(.list(lists[lists.count - 1]))
                case 0x29: stack.append(try tuple([]))  // EMPTY_TUPLE
                case 0x4e: stack.append(.none)  // NONE
                case 0x88: stack.append(.bool(true))  // NEWTRUE
                case 0x89: stack.append(.bool(false))  // NEWFALSE
                case 0x4b: stack.append(.int(Int(try uint(1))))  // BININT1
                case 0x4d: stack.append(.int(Int(try uint(2))))  // BININT2
                case 0x4a: stack.append(.int(Int(Int32(truncatingIfNeeded: try uint(4)))))  // BININT
                case 0x8a: stack.append(try long(Int(try uint(1))))  // LONG1
                case 0x8b:  // LONG4
                    let n = Int32(truncatingIfNeeded: try uint(4))
                    guard n >= 0 else { throw malformed("LONG4 with negative length \(n)") }
                    stack.append(try long(Int(n)))
                case 0x47:  // BINFLOAT (big-endian)
                    let start = try take(8)
                    let raw = bytes.loadUnaligned(fromByteOffset: start, as: UInt64.self)
                    stack.append(.float(Double(bitPattern: UInt64(bigEndian: raw))))
                case 0x8c: stack.append(.string(try utf8(try uint(1))))  // SHORT_BINUNICODE
                case 0x58: stack.append(.string(try utf8(try uint(4))))  // BINUNICODE
                case 0x8d: stack.append(.string(try utf8(try uint(8))))  // BINUNICODE8
                case 0x55: stack.append(.string(latin1(try span(try uint(1)))))  // SHORT_BINSTRING (Python 2 str)
                case 0x54: stack.append(.string(latin1(try span(try uint(4)))))  // BINSTRING (Python 2 str)
                case 0x43: stack.append(.bytes(Array(try span(try uint(1)))))  // SHORT_BINBYTES
                case 0x42: stack.append(.bytes(Array(try span(try uint(4)))))  // BINBYTES
                case 0x8e: stack.append(.bytes(Array(try span(try uint(8)))))  // BINBYTES8
                case 0x85: stack.append(try tuple([try pop()]))  // TUPLE1
                case 0x86:  // TUPLE2
                    let b = try pop(), a = try pop()
                    stack.append(try tuple([a, b]))
                case 0x87:  // TUPLE3
                    let c = try pop(), b = try pop(), a = try pop()
                    stack.append(try tuple([a, b, c]))
                case 0x74: stack.append(try tuple(try popMark()))  // TUPLE
                case 0x73:  // SETITEM
                    let value = try pop(), key = try pop()
                    try dictOnTop().set(try keyText(key), value)
                case 0x75:  // SETITEMS
                    let items = try popMark()
                    guard items.count % 2 == 0 else { throw malformed("SETITEMS with an odd number of items") }
                    let dict = try dictOnTop()
                    for i in stride(from: 0, to: items.count, by: 2) { dict.set(try keyText(items[i]), items[i + 1]) }
                case 0x61:  // APPEND
                    let value = try pop()
                    try listOnTop().items.append(value)
                case 0x65:  // APPENDS
                    let items = try popMark()
                    try listOnTop().items.append(contentsOf: items)
                case 0x71: try put(Int(try uint(1)))  // BINPUT
                case 0x72: try put(Int(try uint(4)))  // LONG_BINPUT
                case 0x94: try put(memo.count)  // MEMOIZE
                case 0x68: try get(Int(try uint(1)))  // BINGET
                case 0x6a: try get(Int(try uint(4)))  // LONG_BINGET
                case 0x30: _ = try pop()  // POP
                case 0x31: _ = try popMark()  // POP_MARK
                case 0x32:  // DUP
                    guard let top = stack.last else { throw malformed("DUP on an empty stack") }
                    stack.append(top)
                case 0x63:  // GLOBAL: "module\nname\n"
                    let module = try line(), name = try line()
                    stack.append(try global(module, name))
                case 0x93:  // STACK_GLOBAL
                    let name = try pop(), module = try pop()
                    guard case let .string(m) = module, case let .string(n) = name else {
                        throw malformed("STACK_GLOBAL needs two strings")
                    }
                    stack.append(try global(m, n))
                case 0x52:  // REDUCE
                    let args = try pop(), callable = try pop()
                    stack.append(try call(callable, args))
                case 0x81:  // NEWOBJ
                    let args = try pop(), cls = try pop()
                    guard case .global("collections", "OrderedDict") = cls else {
                        throw malformed("NEWOBJ is only supported for collections.OrderedDict")
                    }
                    stack.append(try call(cls, args))
                case 0x62:  // BUILD: attribute state of an OrderedDict (state_dict._metadata) or a parameter
                    _ = try pop()
                    switch stack.last {
                    case .dict?, .tensor?: break
                    default: throw malformed("BUILD is only supported on dicts and tensors")
                    }
                case 0x51:  // BINPERSID
                    stack.append(.storage(try persistentStorage(try pop())))
                default:
                    throw TorchFileError.unsupportedOpcode(byte: op, offset: at)
                }
            }
        }

        // MARK: Reading

        func malformed(_ reason: String) -> TorchFileError { .malformed(reason: reason, offset: at) }

        mutating func take(_ n: Int) throws -> Int {
            guard n <= bytes.count - pos else { throw TorchFileError.truncated(offset: pos) }
            defer { pos += n }
            return pos
        }

        mutating func byte() throws -> UInt8 { bytes[try take(1)] }

        /// An unsigned little-endian integer of `n` bytes.
        mutating func uint(_ n: Int) throws -> UInt64 {
            let start = try take(n)
            var v: UInt64 = 0
            for i in (0..<n).reversed() { v = v << 8 | UInt64(bytes[start + i]) }
            return v
        }

        /// The next `claimed` bytes, refused before any allocation when the input has fewer.
        mutating func span(_ claimed: UInt64) throws -> UnsafeRawBufferPointer {
            let available = bytes.count - pos
            guard claimed <= UInt64(available) else {
                throw TorchFileError.lengthTooLarge(claimed: claimed, available: available, offset: at)
            }
            let start = try take(Int(claimed))
            return UnsafeRawBufferPointer(rebasing: bytes[start..<start + Int(claimed)])
        }

        mutating func utf8(_ claimed: UInt64) throws -> String {
            guard let s = String(bytes: try span(claimed), encoding: .utf8) else { throw malformed("string is not valid UTF-8") }
            return s
        }

        func latin1(_ raw: UnsafeRawBufferPointer) -> String { String(raw.map { Character(Unicode.Scalar($0)) }) }

        /// A two's-complement little-endian integer of `n` bytes (LONG1/LONG4).
        mutating func long(_ n: Int) throws -> PickleValue {
            let raw = Array(try span(UInt64(n)))
            guard n <= 8 else { return .bigInt(raw) }
            guard n > 0 else { return .int(0) }
            var v: UInt64 = raw[n - 1] & 0x80 != 0 ? ~0 : 0
            for b in raw.reversed() { v = v << 8 | UInt64(b) }
            return .int(Int(Int64(bitPattern: v)))
        }

        /// A newline-terminated ASCII line of at most 256 bytes (GLOBAL's module and name).
        mutating func line() throws -> String {
            var end = pos
            while end < bytes.count, bytes[end] != 0x0a {
                end += 1
                guard end - pos <= 256 else { throw malformed("GLOBAL name longer than 256 bytes") }
            }
            guard end < bytes.count else { throw TorchFileError.truncated(offset: bytes.count) }
            let s = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[pos..<end]), as: UTF8.self)
            pos = end + 1
            return s
        }

        // MARK: Stack and memo

        mutating func pop() throws -> PickleValue {
            guard let v = stack.popLast() else { throw malformed("stack underflow") }
            if let m = marks.last, stack.count < m { throw malformed("stack underflow past a MARK") }
            return v
        }

        mutating func popMark() throws -> [PickleValue] {
            guard let m = marks.popLast() else { throw malformed("no MARK on the stack") }
            let items = Array(stack[m...])
            stack.removeSubrange(m...)
            return items
        }

        func dictOnTop() throws -> PickleDict {
            guard case let .dict(d)? = stack.last else { throw malformed("SETITEM(S) needs a dict below its items") }
            return d
        }

        func listOnTop() throws -> PickleList {
            guard case let .list(l)? = stack.last else { throw malformed("APPEND(S) needs a list below its items") }
            return l
        }

        mutating func put(_ index: Int) throws {
            guard let top = stack.last else { throw malformed("memo put on an empty stack") }
            memo[index] = top
        }

        mutating func get(_ index: Int) throws {
            guard let v = memo[index] else { throw malformed("memo get of unset index \(index)") }
            stack.append(v)
        }

        mutating func newDict() -> PickleDict {
            dicts.append(PickleDict())
            return dicts[dicts.count - 1]
        }

        func tuple(_ items: [PickleValue]) throws -> PickleValue {
            var depth = 1
            for case let .tuple(_, d) in items { depth = max(depth, d + 1) }
            guard depth <= Pickle.maxTupleDepth else { throw malformed("tuples nest deeper than \(Pickle.maxTupleDepth) levels") }
            return .tuple(items, depth: depth)
        }

        func keyText(_ key: PickleValue) throws -> String {
            switch key {
            case let .string(s): return s
            case let .int(i): return String(i)
            case let .bool(b): return b ? "True" : "False"
            case .none: return "None"
            default: throw malformed("dict key is not a string, int, bool or None")
            }
        }

        // MARK: Globals and calls

        func global(_ module: String, _ name: String) throws -> PickleValue {
            if module == "torch", name.hasSuffix("Storage") {
                guard TorchDType(storageClass: name) != nil else { throw TorchFileError.unsupportedStorage(name) }
                return .global(module: module, name: name)
            }
            guard Pickle.allowedGlobals.contains("\(module).\(name)") else {
                throw TorchFileError.forbiddenGlobal(module: module, name: name)
            }
            return .global(module: module, name: name)
        }

        /// Applies an allow-listed callable: builds a dict or describes a tensor; never runs anything else.
        mutating func call(_ callable: PickleValue, _ argsValue: PickleValue) throws -> PickleValue {
            guard case let .global(module, name) = callable, case let .tuple(args, _) = argsValue else {
                throw malformed("REDUCE needs an allowed global and an argument tuple")
            }
            switch (module, name) {
            case ("collections", "OrderedDict"):
                let dict = newDict()
                if let first = args.first {
                    guard args.count == 1, case let .list(pairs) = first else { throw malformed("OrderedDict takes one list of pairs") }
                    for pair in pairs.items {
                        guard case let .tuple(kv, _) = pair, kv.count == 2 else { throw malformed("OrderedDict item is not a pair") }
                        dict.set(try keyText(kv[0]), kv[1])
                    }
                }
                return .dict(dict)
            case ("torch._utils", "_rebuild_tensor"), ("torch._utils", "_rebuild_tensor_v2"):
                guard args.count >= 4, case let .storage(storage) = args[0], case let .int(offset) = args[1] else {
                    throw malformed("\(name) needs (storage, offset, sizes, strides, ...)")
                }
                return .tensor(TensorSpec(storage: storage, offset: offset, sizes: try ints(args[2]), strides: try ints(args[3])))
            case ("torch._utils", "_rebuild_parameter"), ("torch._utils", "_rebuild_parameter_with_state"):
                guard case .tensor? = args.first else { throw malformed("\(name) needs a tensor first") }
                return args[0]
            default:
                throw malformed("\(module).\(name) cannot be called")
            }
        }

        func ints(_ value: PickleValue) throws -> [Int] {
            guard case let .tuple(items, _) = value else { throw malformed("tensor sizes/strides are not a tuple") }
            return try items.map {
                guard case let .int(i) = $0 else { throw malformed("tensor sizes/strides hold a non-integer") }
                return i
            }
        }

        /// A storage from its persistent id ('storage', torch.<T>Storage, key, location, numel[, view]).
        mutating func persistentStorage(_ pid: PickleValue) throws -> StorageRef {
            guard case let .tuple(t, _) = pid, t.count == 5 || t.count == 6, case .string("storage") = t[0],
                  case let .global("torch", className) = t[1], let dtype = TorchDType(storageClass: className),
                  case let .string(key) = t[2]
            else { throw malformed("persistent id is not ('storage', torch.<T>Storage, key, location, numel)") }
            if let seen = storages[key], seen.dtype != dtype { throw malformed("storage '\(key)' is used with two dtypes") }
            storages[key] = StorageRef(key: key, dtype: dtype, offset: 0, viewCount: nil)
            guard t.count == 6, case let .tuple(view, _) = t[5] else { return storages[key]! }
            // Legacy storage view: (view key, element offset, element count) of the root storage.
            guard view.count == 3, case let .int(offset) = view[1], case let .int(count) = view[2], offset >= 0, count >= 0 else {
                throw malformed("storage view metadata is not (key, offset, size)")
            }
            return StorageRef(key: key, dtype: dtype, offset: offset, viewCount: count)
        }
    }
}
