import CMPI
import Foundation

/// The processes of one job and the collective operations between them, over Open MPI. Under `mpirun` every
/// process is one rank of `world`; a process started any other way is a world of one that never calls MPI,
/// so single-process runs need no MPI at all. Collectives must be called by every rank in the same order.
public final class Communicator: @unchecked Sendable {
    /// How `allreduce` combines the ranks' values.
    public enum Reduction: Sendable {
        case sum, mean, max, min
    }

    /// This process's world: every rank of the `mpirun` job, or this process alone.
    public static let world = Communicator()

    /// This process's rank, 0..<size; rank 0 writes the job's files.
    public let rank: Int
    public let size: Int
    /// Ranks on this host (Open MPI's local size): they share its cores.
    public let localSize: Int
    private let usesMPI: Bool
    /// Stops the job when a rank has stopped answering (`RankWatchdog`); nil outside mpirun.
    private var watchdog: RankWatchdog?

    /// Seconds a rank waits in one collective before it asks the others whether they are alive:
    /// `CROSSMODAL_RANK_TIMEOUT`, default 60.
    public static let defaultRankTimeout = 60.0

    private init() {
        let environment = ProcessInfo.processInfo.environment
        localSize = environment["OMPI_COMM_WORLD_LOCAL_SIZE"].flatMap(Int.init) ?? 1
        guard environment["OMPI_COMM_WORLD_SIZE"] != nil || environment["PMIX_RANK"] != nil else {
            (rank, size, usesMPI) = (0, 1, false)
            return
        }
        var provided: Int32 = 0
        MPI_Init_thread(nil, nil, cmpi_thread_multiple(), &provided)
        atexit {
            Communicator.world.watchdog?.stop()
            MPI_Finalize()
        }
        var rank: Int32 = 0, size: Int32 = 0
        MPI_Comm_rank(cmpi_comm_world(), &rank)
        MPI_Comm_size(cmpi_comm_world(), &size)
        (self.rank, self.size, usesMPI) = (Int(rank), Int(size), true)
        let setting = environment["CROSSMODAL_RANK_TIMEOUT"]
        let timeout = setting.flatMap(Double.init).flatMap { $0 > 0 ? $0 : nil } ?? Self.defaultRankTimeout
        if let setting, Double(setting).map({ $0 > 0 }) != true {
            FileHandle.standardError.write(Data("rank \(rank): CROSSMODAL_RANK_TIMEOUT=\(setting) is not a number of seconds above 0; using \(Int(timeout))\n".utf8))
        }
        if size > 1 && provided >= cmpi_thread_multiple() {
            watchdog = RankWatchdog(rank: Int(rank), size: Int(size), timeout: timeout)
        }
    }

    /// `body`, the collective `what`, under the watchdog.
    private func watched<T>(_ what: String, _ body: () -> T) -> T {
        guard let watchdog else { return body() }
        return watchdog.watch(what, body)
    }

    /// Whether this is rank 0.
    public var isRoot: Bool { rank == 0 }

    /// Combines `values` across ranks in place: every rank ends with the same result.
    public func allreduce(_ values: UnsafeMutableBufferPointer<Float>, _ reduction: Reduction) {
        guard usesMPI, !values.isEmpty else { return }
        let op: MPI_Op = switch reduction {
        case .sum, .mean: cmpi_sum()
        case .max: cmpi_max()
        case .min: cmpi_min()
        }
        check(watched("MPI_Allreduce") { MPI_Allreduce(cmpi_in_place(), values.baseAddress, Int32(values.count), cmpi_float(), op, cmpi_comm_world()) }, "MPI_Allreduce")
        if reduction == .mean {
            let scale = 1 / Float(size)
            for i in values.indices { values[i] *= scale }
        }
    }

    /// A sum started by `startAllreduce`, completed by `wait`.
    public final class Request: @unchecked Sendable {
        fileprivate var handle: MPI_Request?
        fileprivate var started = false
        fileprivate init() {}
    }

    /// Starts summing `values` across ranks in place without waiting (`MPI_Iallreduce`): `values` must stay
    /// valid and untouched until `wait(request)` returns. Every rank starts the same sums in the same order.
    public func startAllreduce(_ values: UnsafeMutableBufferPointer<Float>) -> Request {
        let request = Request()
        guard usesMPI, !values.isEmpty else { return request }
        check(MPI_Iallreduce(cmpi_in_place(), values.baseAddress, Int32(values.count), cmpi_float(), cmpi_sum(), cmpi_comm_world(),
                             &request.handle), "MPI_Iallreduce")
        request.started = true
        return request
    }

    /// Returns when `request`'s sum is complete on this rank.
    public func wait(_ request: Request) {
        guard request.started else { return }
        check(watched("MPI_Iallreduce") { MPI_Wait(&request.handle, cmpi_status_ignore()) }, "MPI_Wait")
        request.started = false
    }

    /// `allreduce` of an array.
    public func allreduce(_ values: inout [Float], _ reduction: Reduction) {
        values.withUnsafeMutableBufferPointer { allreduce($0, reduction) }
    }

    /// Rank `root`'s `values` on every rank (all ranks pass arrays of the same length).
    public func broadcast(_ values: UnsafeMutableBufferPointer<Float>, root: Int = 0) {
        guard usesMPI, !values.isEmpty else { return }
        check(watched("MPI_Bcast") { MPI_Bcast(values.baseAddress, Int32(values.count), cmpi_float(), Int32(root), cmpi_comm_world()) }, "MPI_Bcast")
    }

    /// Rank `root`'s `bytes` on every rank (what the others pass is ignored): files, such as a checkpoint.
    public func broadcast(_ bytes: Data, root: Int = 0) -> Data {
        guard usesMPI else { return bytes }
        var count = UInt64(bytes.count)
        check(watched("MPI_Bcast") { MPI_Bcast(&count, 1, cmpi_uint64(), Int32(root), cmpi_comm_world()) }, "MPI_Bcast")
        var out = rank == root ? bytes : Data(count: Int(count))
        out.withUnsafeMutableBytes { raw in
            for start in stride(from: 0, to: raw.count, by: 1 << 30) {
                check(watched("MPI_Bcast") { MPI_Bcast(raw.baseAddress! + start, Int32(min(1 << 30, raw.count - start)), cmpi_byte(), Int32(root), cmpi_comm_world()) },
                      "MPI_Bcast")
            }
        }
        return out
    }

    /// Runs `body` on rank 0 alone and gives every rank its result; when it throws, rank 0 rethrows its error and
    /// the others throw `DistributedError.rootFailed` with its description — no rank waits for one that failed.
    /// `step` says what rank 0 was doing. A collective: the other ranks return when rank 0 is done.
    public func onRoot(_ step: String, _ body: () throws -> Data) throws -> Data {
        guard size > 1 else { return try body() }
        var outcome = Data(), failure: (any Error)?
        if isRoot {
            do { outcome = Data([0]) + (try body()) } catch { (outcome, failure) = (Data([1]) + Data("\(error)".utf8), error) }
        }
        let received = broadcast(outcome)
        if let failure { throw failure }
        guard received.first == 0 else { throw DistributedError.rootFailed(step: step, reason: String(decoding: received.dropFirst(), as: UTF8.self)) }
        return Data(received.dropFirst())
    }

    /// Every rank's `value`, in rank order.
    public func allgather(_ value: UInt64) -> [UInt64] {
        guard usesMPI else { return [value] }
        var mine = value
        var all = [UInt64](repeating: 0, count: size)
        check(watched("MPI_Allgather") { MPI_Allgather(&mine, 1, cmpi_uint64(), &all, 1, cmpi_uint64(), cmpi_comm_world()) }, "MPI_Allgather")
        return all
    }

    /// Every rank's `text`, in rank order (for small values: names, settings, hashes).
    public func allgather(_ text: String) -> [String] {
        guard usesMPI else { return [text] }
        let bytes = Array(text.utf8)
        let lengths = allgather(UInt64(bytes.count)).map { Int($0) }
        let longest = lengths.max() ?? 0
        var padded = bytes + [UInt8](repeating: 0, count: longest - bytes.count)
        var all = [UInt8](repeating: 0, count: longest * size)
        if longest > 0 {
            check(watched("MPI_Allgather") { MPI_Allgather(&padded, Int32(longest), cmpi_byte(), &all, Int32(longest), cmpi_byte(), cmpi_comm_world()) },
                  "MPI_Allgather")
        }
        return (0..<size).map { r in String(decoding: all[(r * longest)..<(r * longest + lengths[r])], as: UTF8.self) }
    }

    /// Returns when every rank has called it.
    public func barrier() {
        guard usesMPI else { return }
        check(watched("MPI_Barrier") { MPI_Barrier(cmpi_comm_world()) }, "MPI_Barrier")
    }

    /// Stops every rank, naming the first rank and field that differ from rank 0's, unless all ranks have the
    /// same value of every field (settings, data keys, shapes); a collective, like the others.
    public func agree(_ fields: [(name: String, value: String)]) throws {
        for (name, value) in fields {
            let all = allgather(value)
            if let rank = all.indices.first(where: { all[$0] != all[0] }) {
                throw DistributedError.mismatch(rank: rank, field: name, found: Self.brief(all[rank], against: all[0]),
                                                rootHas: Self.brief(all[0], against: all[rank]))
            }
        }
    }

    /// `text` around where it first differs from `other`, at most about 80 characters.
    static func brief(_ text: String, against other: String) -> String {
        let a = Array(text), b = Array(other)
        let first = (0..<min(a.count, b.count)).first { a[$0] != b[$0] } ?? min(a.count, b.count)
        let start = max(0, first - 30), end = min(a.count, first + 50)
        return (start > 0 ? "…" : "") + String(a[start..<end]) + (end < a.count ? "…" : "")
    }

    private func check(_ code: Int32, _ call: String) {
        // MPI's default error handler aborts the job on failure; a code that still comes back is a broken invariant.
        precondition(code == MPI_SUCCESS, "Communicator: \(call) failed with MPI error \(code) on rank \(rank)")
    }
}
