import Foundation

/// The 64-bit FNV-1a hash, used as a checkpoint file checksum (catches truncation and bit flips; not
/// cryptographic).
enum FNV1a {
    static func hash(_ data: Data) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        data.withUnsafeBytes { raw in
            for byte in raw.bindMemory(to: UInt8.self) { h = (h ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        }
        return h
    }

    /// `hash(data)` as 16 lowercase hex digits.
    static func hex(_ data: Data) -> String { hash(data).hex16 }
}

extension UInt64 {
    /// The value as 16 lowercase hex digits.
    var hex16: String {
        let s = String(self, radix: 16)
        return String(repeating: "0", count: 16 - s.count) + s
    }
}
