import Tensors
import TestSupport
import XCTest

/// `gatherReplicaRows` with a second replica simulated in this process (the end-to-end check against one
/// process is `DataParallelTrainingTests`, under mpirun).
final class ReplicasTests: XCTestCase {
    override func tearDown() { Replicas.sum = nil }

    /// The other replica holds rows 2..<5 (`other`) and computes the same loss from the gathered batch, so its
    /// gradient of the gathered batch equals this one's: the sum over the replicas is twice this replica's, and
    /// the rows returned are 2 × the finite-difference gradient of the loss in this replica's rows.
    func testGathersTheOtherReplicasRowsAndSumsTheirGradients() {
        let mine = Tensor(shape: [2, 3], (0..<6).map { Float($0) * 0.3 - 0.7 })
        let other = Tensor(shape: [3, 3], (0..<9).map { Float($0) * -0.2 + 0.4 })
        var calls = 0
        Replicas.sum = { buffer in
            calls += 1
            if calls.isMultiple(of: 2) {
                for i in buffer.indices { buffer[i] *= 2 }
            } else {
                for i in 0..<other.count { buffer[6 + i] += other.scalars[i] }
            }
        }
        let weights = Tensor(shape: [5, 3], (0..<15).map { sin(Float($0)) })
        func loss(_ x: Tensor) -> Tensor { sum(mul(tanh(gatherReplicaRows(x, rows: 0..<2, total: 5)), weights)) }

        let gathered = gatherReplicaRows(mine, rows: 0..<2, total: 5)
        XCTAssertEqual(gathered.shape, [5, 3])
        XCTAssertEqual(gathered.scalars, mine.scalars + other.scalars)
        calls = 0
        let (_, grads) = valueAndGrad(at: [mine]) { xs in loss(xs[0]) }
        XCTAssertEqual(calls, 2, "one sum forward, one backward")
        let eps: Float = 1e-2
        for i in 0..<mine.count {
            func at(_ delta: Float) -> Float {
                let x = mine.copy()
                x.mutableData[i] += delta
                calls = 0  // a forward sum
                return Tape.withoutRecording { loss(x).item }
            }
            XCTAssertEqual(grads[0].scalars[i], 2 * (at(eps) - at(-eps)) / (2 * eps), accuracy: 2e-3, "element \(i)")
        }
    }

    func testWithoutReplicasTheInputIsTheWholeBatch() {
        let x = Tensor(shape: [2, 2], [1, 2, 3, 4])
        XCTAssertEqual(gatherReplicaRows(x, rows: 0..<2, total: 2).scalars, x.scalars)
    }
}
