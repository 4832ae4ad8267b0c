import Foundation

/// Reading and writing the safetensors format (8-byte little-endian header length, JSON header, raw data).
///
/// Reading maps the file and converts F32 (exact), F16, BF16, F64, I64, I32, U8 and BOOL to Float32 tensors.
/// Anything malformed throws a `SafetensorsError`; nothing is allocated from an unchecked size.
public enum Safetensors {
    /// Reads every tensor of a file.
    public static func read(_ url: URL) throws -> [String: Tensor] { try readWithMetadata(url).tensors }

    /// Reads every tensor and the `__metadata__` string map of a file.
    public static func readWithMetadata(_ url: URL) throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        let data: Data
        do {
            data = try Data(contentsOf: url, options: .alwaysMapped)
        } catch {
            throw SafetensorsError.unreadable(path: url.path, reason: error.localizedDescription)
        }
        return try parse(data, path: url.path)
    }

    /// Parses safetensors bytes (`path` only names the source in errors).
    public static func parse(_ data: Data, path: String = "<memory>") throws -> (tensors: [String: Tensor], metadata: [String: String]) {
        guard data.count >= 8 else { throw SafetensorsError.truncated(path: path, size: data.count) }
        let headerLength = data.withUnsafeBytes { raw in
            UInt64(littleEndian: raw.loadUnaligned(as: UInt64.self))
        }
        guard headerLength <= UInt64(data.count - 8), headerLength <= 100_000_000 else {
            throw SafetensorsError.headerTooLarge(path: path, claimed: headerLength, fileSize: data.count)
        }
        let start = 8 + Int(headerLength)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: data.subdata(in: data.startIndex + 8..<data.startIndex + start))
        } catch {
            throw SafetensorsError.malformedHeader(path: path, reason: "header is not valid JSON")
        }
        guard let header = json as? [String: Any] else {
            throw SafetensorsError.malformedHeader(path: path, reason: "header is not a JSON object")
        }
        var metadata: [String: String] = [:]
        var tensors: [String: Tensor] = [:]
        let payload = data.count - start
        for (name, value) in header {
            if name == "__metadata__" {
                guard let m = value as? [String: String] else {
                    throw SafetensorsError.malformedHeader(path: path, reason: "__metadata__ must map strings to strings")
                }
                metadata = m
                continue
            }
            guard let entry = value as? [String: Any], let dtypeName = entry["dtype"] as? String,
                  let shapeAny = entry["shape"] as? [Any], let offsetsAny = entry["data_offsets"] as? [Any]
            else {
                throw SafetensorsError.malformedHeader(path: path, reason: "entry '\(name)' needs dtype, shape and data_offsets")
            }
            let shape = shapeAny.compactMap { $0 as? Int }
            let offsets = offsetsAny.compactMap { $0 as? Int }
            guard shape.count == shapeAny.count, shape.allSatisfy({ $0 >= 0 }), offsets.count == 2 else {
                throw SafetensorsError.malformedHeader(path: path, reason: "entry '\(name)' has a bad shape or data_offsets")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw SafetensorsError.unsupportedDType(path: path, tensor: name, dtype: dtypeName)
            }
            var bytes = dtype.size
            for d in shape {
                let (p, overflow) = bytes.multipliedReportingOverflow(by: d)
                guard !overflow else { throw SafetensorsError.malformedHeader(path: path, reason: "entry '\(name)' shape \(shape) overflows") }
                bytes = p
            }
            let elements = bytes / dtype.size
            let (begin, end) = (offsets[0], offsets[1])
            guard begin >= 0, begin <= end, end <= payload, end - begin == bytes else {
                throw SafetensorsError.badOffsets(
                    path: path, tensor: name, begin: begin, end: end, expectedBytes: bytes, payload: payload)
            }
            let t = Tensor(uninitialized: shape)
            data.withUnsafeBytes { raw in dtype.convert(raw.baseAddress! + start + begin, count: elements, into: t.mutableData) }
            tensors[name] = t
        }
        return (tensors, metadata)
    }

    /// The bytes of a safetensors file holding `tensors` as F32 (keys sorted, header padded to 8 bytes).
    public static func encode(_ tensors: [String: Tensor], metadata: [String: String] = [:]) -> Data {
        var entries: [String] = []
        var offset = 0
        let keys = tensors.keys.sorted()
        for key in keys {
            let t = tensors[key]!
            entries.append("\(jsonString(key)):{\"dtype\":\"F32\",\"shape\":[\(t.shape.map(String.init).joined(separator: ","))],\"data_offsets\":[\(offset),\(offset + 4 * t.count)]}")
            offset += 4 * t.count
        }
        if !metadata.isEmpty {
            let m = metadata.keys.sorted().map { "\(jsonString($0)):\(jsonString(metadata[$0]!))" }.joined(separator: ",")
            entries.insert("\"__metadata__\":{\(m)}", at: 0)
        }
        var header = Array("{\(entries.joined(separator: ","))}".utf8)
        while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
        var out = Data(capacity: 8 + header.count + offset)
        withUnsafeBytes(of: UInt64(header.count).littleEndian) { out.append(contentsOf: $0) }
        out.append(contentsOf: header)
        for key in keys {
            let t = tensors[key]!
            out.append(UnsafeBufferPointer(start: t.data, count: t.count))
        }
        return out
    }

    /// Writes `tensors` atomically (a temporary file renamed over `url`), so a crash never leaves half a file.
    public static func write(_ tensors: [String: Tensor], to url: URL, metadata: [String: String] = [:]) throws {
        do {
            try encode(tensors, metadata: metadata).write(to: url, options: .atomic)
        } catch {
            throw SafetensorsError.unwritable(path: url.path, reason: fileErrorReason(error, url: url))
        }
    }

    private static func jsonString(_ s: String) -> String {
        let data = try! JSONSerialization.data(withJSONObject: [s], options: [.fragmentsAllowed])
        return String(decoding: data.dropFirst().dropLast(), as: UTF8.self)
    }

    /// Element types this reader converts to Float32.
    enum DType: String {
        case f32 = "F32", f16 = "F16", bf16 = "BF16", f64 = "F64", i64 = "I64", i32 = "I32", u8 = "U8", bool = "BOOL"

        var size: Int {
            switch self {
            case .f64, .i64: 8
            case .f32, .i32: 4
            case .f16, .bf16: 2
            case .u8, .bool: 1
            }
        }

        func convert(_ src: UnsafeRawPointer, count: Int, into dst: UnsafeMutablePointer<Float>) {
            for i in 0..<count {
                switch self {
                case .f32: dst[i] = Float(bitPattern: UInt32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self)))
                case .f16: dst[i] = Float(Float16(bitPattern: UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))))
                case .bf16: dst[i] = Float(bitPattern: UInt32(UInt16(littleEndian: src.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) << 16)
                case .f64: dst[i] = Float(Double(bitPattern: UInt64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: UInt64.self))))
                case .i64: dst[i] = Float(Int64(littleEndian: src.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self)))
                case .i32: dst[i] = Float(Int32(littleEndian: src.loadUnaligned(fromByteOffset: 4 * i, as: Int32.self)))
                case .u8, .bool: dst[i] = Float(src.load(fromByteOffset: i, as: UInt8.self))
                }
            }
        }
    }
}

/// Why a safetensors file could not be read or written; each case says what was expected and found.
public enum SafetensorsError: Error, CustomStringConvertible, Equatable {
    case unreadable(path: String, reason: String)
    case unwritable(path: String, reason: String)
    case truncated(path: String, size: Int)
    case headerTooLarge(path: String, claimed: UInt64, fileSize: Int)
    case malformedHeader(path: String, reason: String)
    case unsupportedDType(path: String, tensor: String, dtype: String)
    case badOffsets(path: String, tensor: String, begin: Int, end: Int, expectedBytes: Int, payload: Int)

    public var description: String {
        switch self {
        case let .unreadable(path, reason): "cannot read safetensors file \(path): \(reason); check the path and permissions"
        case let .unwritable(path, reason): "cannot write safetensors file \(path): \(reason); check that the directory exists and is writable"
        case let .truncated(path, size): "\(path) is \(size) bytes, too short for a safetensors file (needs an 8-byte header length); the file is truncated or not safetensors"
        case let .headerTooLarge(path, claimed, size): "\(path) claims a \(claimed)-byte header but the file is \(size) bytes; the file is truncated or corrupted"
        case let .malformedHeader(path, reason): "\(path) has a malformed safetensors header: \(reason)"
        case let .unsupportedDType(path, tensor, dtype): "\(path): tensor '\(tensor)' has dtype \(dtype); supported are F32, F16, BF16, F64, I64, I32, U8, BOOL"
        case let .badOffsets(path, tensor, begin, end, expected, payload): "\(path): tensor '\(tensor)' spans bytes \(begin)..<\(end) but its shape needs \(expected) bytes within a \(payload)-byte payload; the file is corrupted"
        }
    }
}
