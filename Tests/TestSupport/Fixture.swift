import Foundation
import Tensors

/// PyTorch fixtures written by `tools/fixtures/make_fixtures.py` into each test target's `Fixtures/` folder.
public enum Fixture {
    /// Loads `<test target>/Fixtures/<name>.safetensors`; `file` is the calling test's `#filePath`.
    public static func load(_ name: String, file: StaticString = #filePath) throws -> [String: Tensor] {
        let dir = URL(fileURLWithPath: "\(file)").deletingLastPathComponent().appendingPathComponent("Fixtures")
        return try Safetensors.read(dir.appendingPathComponent("\(name).safetensors"))
    }
}

/// Looks up a fixture tensor, failing with the key name when absent.
public extension Dictionary where Key == String, Value == Tensor {
    func tensor(_ key: String) -> Tensor {
        guard let t = self[key] else { fatalError("fixture has no tensor '\(key)'; keys: \(keys.sorted())") }
        return t
    }

    /// A fixture tensor of integer values (indices, labels) as `[Int]`.
    func ints(_ key: String) -> [Int] { tensor(key).scalars.map { Int($0) } }

    /// A fixture tensor of 0/1 values as `[Bool]` (masks: true = ignore).
    func bools(_ key: String) -> [Bool] { tensor(key).scalars.map { $0 != 0 } }
}
