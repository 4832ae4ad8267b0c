import Foundation
import Tensors
@testable import Training
import XCTest

final class CheckpointStoreTests: XCTestCase {
    override func tearDown() { removeTemporaryDirectories() }

    private func state(step: Int) -> TrainerState {
        TrainerState(step: step, learningRateFactor: 0.25, consecutiveNonFinite: 1, elapsedSeconds: 1.5,
                     random: RandomGenerator(seed: 3), config: TrainingConfig())
    }

    func testSaveLoadRoundTripAndPruning() throws {
        let store = CheckpointStore(directory: temporaryDirectory("store").appendingPathComponent("checkpoints"), keep: 2)
        let w = Tensor(shape: [2], [1.5, -2])
        for step in [1, 2, 3] { try store.save(model: ["weight": w], optimizer: ["exp_avg.weight": w], state: state(step: step)) }
        XCTAssertEqual(store.checkpoints().map(\.step), [3, 2])
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: store.directory.path).sorted(), ["step-000002", "step-000003"])
        let c = try XCTUnwrap(store.loadNewestValid())
        XCTAssertEqual(c.url.lastPathComponent, "step-000003")
        XCTAssertEqual(c.model["weight"]?.scalars, [1.5, -2])
        XCTAssertEqual(c.optimizer["exp_avg.weight"]?.scalars, [1.5, -2])
        var expected = state(step: 3)
        expected.checksums = c.state.checksums
        XCTAssertEqual(c.state, expected)
        XCTAssertEqual(c.state.random?.state, RandomGenerator(seed: 3).state)
        XCTAssertEqual(c.state.checksums.keys.sorted(), ["model.safetensors", "optimizer.safetensors"])
    }

    func testAFailedWriteLeavesNoPartialDirectory() throws {
        let parent = temporaryDirectory("atomic")
        let destination = parent.appendingPathComponent("step-000001")
        XCTAssertThrowsError(try AtomicDirectory.write(
            [("a.bin", Data([1, 2, 3])), ("missing/b.bin", Data([4]))], to: destination)) { error in
            guard case .unwritable(let path, _)? = error as? TrainingError else { return XCTFail("\(error)") }
            XCTAssertTrue(path.hasSuffix("missing/b.bin"), path)
        }
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), [])

        try AtomicDirectory.write([("a.bin", Data([1]))], to: destination)
        XCTAssertThrowsError(try AtomicDirectory.write([("a.bin", Data([2])), ("x/y", Data())], to: destination))
        XCTAssertEqual(FileManager.default.contents(atPath: destination.appendingPathComponent("a.bin").path), Data([1]),
                       "a failed rewrite keeps the old directory intact")
        try AtomicDirectory.write([("a.bin", Data([2]))], to: destination)
        XCTAssertEqual(FileManager.default.contents(atPath: destination.appendingPathComponent("a.bin").path), Data([2]))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: parent.path), ["step-000001"])
    }

    func testFNV1aMatchesReferenceValues() {
        XCTAssertEqual(FNV1a.hash(Data()), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(FNV1a.hash(Data("a".utf8)), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(FNV1a.hex(Data("foobar".utf8)), "85944171f73967e8")
    }
}
