import CMPI
import Foundation

/// Keeps an `mpirun` job from hanging on a rank that has stopped. A thread of each rank answers the other ranks'
/// pings; when this rank has been inside one collective for `timeout` seconds, that thread pings every other
/// rank, and if any does not answer within `answerSeconds` it prints which ranks are lost and aborts the job
/// (mpirun then stops every rank). Ranks that answer are alive, only slower — the wait goes on, with a note.
/// (A rank that dies is noticed by mpirun itself, which stops the job at once naming it.)
final class RankWatchdog: @unchecked Sendable {
    let rank: Int, size: Int
    /// Seconds in one collective before the others are asked whether they are alive.
    let timeout: Double
    let answerSeconds: Double
    private static let pingTag: Int32 = 0x7C01, pongTag: Int32 = 0x7C02
    private let lock = NSLock()
    private var waiting: (what: String, since: Date)?
    private var stopping = false
    private let stopped = DispatchSemaphore(value: 0)

    /// Starts the answering thread (MPI must allow calls from several threads).
    init(rank: Int, size: Int, timeout: Double, answerSeconds: Double = 5) {
        (self.rank, self.size, self.timeout, self.answerSeconds) = (rank, size, timeout, answerSeconds)
        let thread = Thread { [unowned self] in watch() }
        thread.name = "rank-watchdog"
        thread.start()
    }

    /// `body`, a collective called `what`, watched.
    func watch<T>(_ what: String, _ body: () -> T) -> T {
        lock.withLock { waiting = (what, Date()) }
        defer { lock.withLock { waiting = nil } }
        return body()
    }

    /// Stops the answering thread (before `MPI_Finalize`).
    func stop() {
        lock.withLock { stopping = true }
        stopped.wait()
    }

    private func watch() {
        while !lock.withLock({ stopping }) {
            answerPings()
            if let (what, since) = lock.withLock({ waiting }), Date().timeIntervalSince(since) > timeout {
                let lost = unanswering()
                let waited = Int(Date().timeIntervalSince(since))
                if !lost.isEmpty {
                    let names = lost.map(String.init).joined(separator: ", ")
                    FileHandle.standardError.write(Data(("rank \(rank): waited \(waited) s in \(what) for the other ranks, and rank\(lost.count > 1 ? "s" : "") "
                        + "\(names) \(lost.count > 1 ? "do" : "does") not answer (stopped, stalled or unreachable): stopping the job. The last "
                        + "checkpoint is intact: `--resume` continues from it, on any number of ranks. (CROSSMODAL_RANK_TIMEOUT sets the wait, "
                        + "now \(Int(timeout)) s.)\n").utf8))
                    MPI_Abort(cmpi_comm_world(), 3)
                }
                FileHandle.standardError.write(Data("rank \(rank): waited \(waited) s in \(what); every rank answers, so the others are slower, not lost: waiting on\n".utf8))
                lock.withLock { if waiting?.since == since { waiting?.since = Date() } }
            }
            usleep(5_000)
        }
        stopped.signal()
    }

    /// Answers every ping that has arrived.
    private func answerPings() {
        while true {
            var flag: Int32 = 0
            var status = MPI_Status()
            MPI_Iprobe(cmpi_any_source(), Self.pingTag, cmpi_comm_world(), &flag, &status)
            guard flag != 0 else { return }
            var byte: UInt8 = 0
            MPI_Recv(&byte, 1, cmpi_byte(), status.MPI_SOURCE, Self.pingTag, cmpi_comm_world(), cmpi_status_ignore())
            MPI_Send(&byte, 1, cmpi_byte(), status.MPI_SOURCE, Self.pongTag, cmpi_comm_world())
        }
    }

    /// The other ranks that do not answer a ping within `answerSeconds` (pings to this rank are answered meanwhile,
    /// so two waiting ranks can ask each other).
    private func unanswering() -> [Int] {
        let others = (0..<size).filter { $0 != rank }
        let replies = UnsafeMutablePointer<UInt8>.allocate(capacity: size)
        defer { replies.deallocate() }
        var requests = [MPI_Request?](repeating: nil, count: size)
        for r in others {
            var byte: UInt8 = 1
            MPI_Send(&byte, 1, cmpi_byte(), Int32(r), Self.pingTag, cmpi_comm_world())
            MPI_Irecv(replies + r, 1, cmpi_byte(), Int32(r), Self.pongTag, cmpi_comm_world(), &requests[r])
        }
        var pending = Set(others)
        let deadline = Date().addingTimeInterval(answerSeconds)
        while !pending.isEmpty && Date() < deadline {
            answerPings()
            for r in pending {
                var done: Int32 = 0
                MPI_Test(&requests[r], &done, cmpi_status_ignore())
                if done != 0 { pending.remove(r) }
            }
            usleep(1_000)
        }
        for r in pending {
            MPI_Cancel(&requests[r])
            MPI_Request_free(&requests[r])
        }
        return pending.sorted()
    }
}
