import Foundation
import Tensors

/// Element types of torch storages this reader converts to Float32 (F32 exact).
enum TorchDType: Sendable {
    case f32, f16, bf16, f64, i64, i32, i16, i8, u8, bool

    /// The dtype of a `torch.<name>` storage class, nil for names that are not storage classes.
    init?(storageClass name: String) {
        switch name {
        case "FloatStorage": self = .f32
        case "HalfStorage": self = .f16
        case "BFloat16Storage": self = .bf16
        case "DoubleStorage": self = .f64
        case "LongStorage": self = .i64
        case "IntStorage": self = .i32
        case "ShortStorage": self = .i16
        case "CharStorage": self = .i8
        case "ByteStorage": self = .u8
        case "BoolStorage": self = .bool
        default: return nil
        }
    }

    var size: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }

    /// Converts `count` little-endian elements at element indices `start`, `start + stride`, ... of `src`.
    func convert(_ src: UnsafeRawPointer, start: Int, stride: Int, count: Int, into dst: UnsafeMutablePointer<Float>) {
        let s = size
        @inline(__always) func at(_ i: Int) -> Int { (start + i * stride) * s }
        switch self {
        case .f32: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: UInt32.self))) }
        case .f16: for i in 0..<count { dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: UInt16.self)))) }
        case .bf16: for i in 0..<count { dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: UInt16.self))) << 16) }
        case .f64: for i in 0..<count { dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: UInt64.self)))) }
        case .i64: for i in 0..<count { dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: Int64.self))) }
        case .i32: for i in 0..<count { dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: Int32.self))) }
        case .i16: for i in 0..<count { dst[i] = Float(Int16(littleEndian: src.loadUnaligned(fromByteOffset: at(i), as: Int16.self))) }
        case .i8: for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: at(i), as: Int8.self)) }
        case .u8, .bool: for i in 0..<count { dst[i] = Float(src.load(fromByteOffset: at(i), as: UInt8.self)) }
        }
    }
}

/// A storage named by a pickle's persistent id: its record key, dtype and, for legacy storage views, the
/// element range of the root storage it covers.
struct StorageRef: Sendable {
    let key: String
    let dtype: TorchDType
    /// Element offset into the root storage (legacy views; 0 otherwise).
    let offset: Int
    /// Element count of a legacy view; nil = the whole root storage.
    let viewCount: Int?
}

/// A tensor as `torch._utils._rebuild_tensor_v2` describes it: a strided view of a storage. A class, so a
/// tensor referenced twice in a pickle is materialised once and shared.
final class TensorSpec {
    let storage: StorageRef
    let offset: Int
    let sizes: [Int]
    let strides: [Int]

    init(storage: StorageRef, offset: Int, sizes: [Int], strides: [Int]) {
        self.storage = storage
        self.offset = offset
        self.sizes = sizes
        self.strides = strides
    }

    /// The element count, after checking that sizes and strides are valid and the view lies inside its
    /// storage of `storageCount` elements (all with overflow checks, before anything is allocated).
    func validate(name: String, storageCount: Int) throws -> Int {
        guard sizes.count == strides.count else {
            throw TorchFileError.badTensor(tensor: name, reason: "\(sizes.count) sizes but \(strides.count) strides")
        }
        guard sizes.allSatisfy({ $0 >= 0 }), strides.allSatisfy({ $0 >= 0 }), offset >= 0 else {
            throw TorchFileError.badTensor(tensor: name, reason: "negative size, stride or offset (sizes \(sizes), strides \(strides), offset \(offset))")
        }
        var count = 1
        for d in sizes {
            let (p, overflow) = count.multipliedReportingOverflow(by: d)
            guard !overflow else { throw TorchFileError.badTensor(tensor: name, reason: "sizes \(sizes) overflow") }
            count = p
        }
        guard count > 0 else { return 0 }
        let available = max(0, min(storage.viewCount ?? Int.max, storageCount - storage.offset))
        // Last element index + 1: the view must lie inside its storage.
        var extent = offset
        for (d, s) in zip(sizes, strides) {
            let (p, o1) = (d - 1).multipliedReportingOverflow(by: s)
            let (e, o2) = extent.addingReportingOverflow(p)
            guard !o1, !o2 else {
                throw TorchFileError.storageTooSmall(tensor: name, storage: storage.key, needed: Int.max, available: available)
            }
            extent = e
        }
        guard extent < available else {
            throw TorchFileError.storageTooSmall(tensor: name, storage: storage.key, needed: extent + 1, available: available)
        }
        return count
    }

    /// Copies the view out of `bytes` (its root storage) into a fresh contiguous Float32 tensor; `validate`
    /// must have accepted it with this storage.
    func materialize(count: Int, bytes: UnsafeRawBufferPointer) -> Tensor {
        let out = Tensor(uninitialized: sizes)
        guard count > 0 else { return out }
        let dst = out.mutableData
        let src = bytes.baseAddress!
        let base = storage.offset + offset
        let rank = sizes.count
        if rank == 0 {
            storage.dtype.convert(src, start: base, stride: 1, count: 1, into: dst)
            return out
        }
        // Rows along the last axis, walked with an odometer over the outer axes.
        let inner = sizes[rank - 1], innerStride = strides[rank - 1]
        var contiguous = true
        var expected = 1
        for a in stride(from: rank - 1, through: 0, by: -1) where sizes[a] != 1 {
            if strides[a] != expected { contiguous = false }
            expected *= sizes[a]
        }
        if contiguous {
            storage.dtype.convert(src, start: base, stride: 1, count: count, into: dst)
            return out
        }
        var index = [Int](repeating: 0, count: rank)
        var start = base
        for row in 0..<(count / inner) {
            storage.dtype.convert(src, start: start, stride: innerStride, count: inner, into: dst + row * inner)
            var a = rank - 2
            while a >= 0 {
                index[a] += 1
                start += strides[a]
                if index[a] < sizes[a] { break }
                start -= strides[a] * sizes[a]
                index[a] = 0
                a -= 1
            }
        }
        return out
    }
}
