import Foundation
import TestSupport
import Training
import XCTest

/// Seeded mutation fuzzing of the YAML config parser (a short run; `make fuzz` runs
/// tools/fuzz/targets/config.swift) and adversarial documents: alias bombs, huge numbers, binary garbage.
final class TrainingConfigFuzzTests: XCTestCase {
    private let seeds = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../tools/fuzz/seeds/config").standardized

    /// Every mutated document gives a valid config or a `TrainingConfigError`.
    func testMutatedConfigsParseOrThrowTrainingConfigError() {
        let corpus = corpusFiles(seeds, suffix: ".yaml")
        XCTAssertEqual(corpus.count, 3)
        fuzzParser("config", corpus: corpus.filter { !String(decoding: $0, as: UTF8.self).contains("rat:") && !String(decoding: $0, as: UTF8.self).contains("[") },
                   iterations: 3000, isTyped: { $0 is TrainingConfigError }) { data in
            let config = try TrainingConfig(yaml: String(decoding: data, as: UTF8.self))
            try config.validate()
        }
    }

    func testAdversarialDocumentsAreTypedErrors() {
        let laughs = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
            + "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
            + "steps: [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
        let cases: [(String, (TrainingConfigError) -> Bool)] = [
            (laughs, { if case .unknownKey(key: "a", _, _) = $0 { true } else { false } }),
            ("steps: &s [*s]", { if case .malformed = $0 { true } else { false } }),
            ("steps: 99999999999999999999999999", { $0 == .invalidValue(key: "steps", found: "'99999999999999999999999999'", expected: "an integer") }),
            ("learning_rate: .nan", { if case .invalidValue(key: "learning_rate", _, _) = $0 { true } else { false } }),
            ("steps: 10\nsteps: 20", { $0 == .malformed(reason: "key 'steps' appears more than once; keep one") }),
            ("seed:", { $0 == .invalidValue(key: "seed", found: "an empty value", expected: "a value (remove the line to use the default)") }),
            ("- - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - - x", { if case .malformed = $0 { true } else { false } }),
            ("\u{0}\u{1}\u{FFFF}\u{7}", { if case .malformed = $0 { true } else { false } }),
            ("- 1\n- 2", { $0 == .malformed(reason: "expected a mapping of keys to values, found a sequence") }),
            ("output_dir: ''", { $0 == .invalidValue(key: "output_dir", found: "an empty value", expected: "a value (remove the line to use the default)") }),
            (String(repeating: "[", count: 100_000), { $0 == .malformed(reason: "nested 100000 levels deep (at most 32); a training config is flat") }),
            ("steps: " + String(repeating: "- ", count: 50_000) + "1", { if case .malformed = $0 { true } else { false } }),
        ]
        for (yaml, expected) in cases {
            XCTAssertThrowsError(try TrainingConfig(yaml: yaml), String(yaml.prefix(40))) { error in
                guard let e = error as? TrainingConfigError else { return XCTFail("untyped \(error)") }
                XCTAssertTrue(expected(e), "\(yaml.prefix(40)): \(e)")
            }
        }
    }
}
