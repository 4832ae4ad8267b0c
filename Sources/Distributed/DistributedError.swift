/// Why the ranks of an `mpirun` job cannot train together; the description says how to fix it.
public enum DistributedError: Error, CustomStringConvertible, Equatable {
    /// Rank `rank` has another `field` than rank 0 (a setting, the data, the model).
    case mismatch(rank: Int, field: String, found: String, rootHas: String)
    /// Rank 0 failed at a step every rank takes together (`step`), for `reason`.
    case rootFailed(step: String, reason: String)

    public var description: String {
        switch self {
        case let .mismatch(rank, field, found, rootHas):
            "rank \(rank) has another \(field) than rank 0 (\(found) there, \(rootHas) on rank 0); every rank of an mpirun job "
                + "must run the same command on the same data: check the command line and that every host sees the same files"
        case let .rootFailed(step, reason):
            "rank 0 could not \(step): \(reason)"
        }
    }
}
