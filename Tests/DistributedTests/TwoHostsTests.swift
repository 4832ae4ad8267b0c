import Foundation
import OwnData
import OwnDataFixtures
import Training
import XCTest

/// Two hosts on one machine: two network namespaces joined by a veth pair, one rank in each, talking over Open
/// MPI's TCP transport only (mpirun starts the second rank's daemon in its namespace through an rsh agent
/// script). The 2-host run trains what one process trains: the same losses to 1e-4 at every step. Skipped, saying
/// why, only where network namespaces cannot be made (not root, or no `ip netns`).
final class TwoHostsTests: XCTestCase {
    private struct Hosts {
        let namespaces: [String], addresses: [String], agent: URL

        func remove() {
            for namespace in namespaces { _ = try? TwoHostsTests.run(["/usr/sbin/ip", "netns", "del", namespace]) }
        }
    }

    @discardableResult
    fileprivate static func run(_ arguments: [String]) throws -> (status: Int32, output: String) { try runChild(arguments) }

    /// Two namespaces "cm<pid>a/b" with 10.77.<n>.1 and .2 on a veth pair, and the agent script that runs a
    /// command "on" an address by entering its namespace.
    private func makeHosts(in directory: URL) throws -> Hosts {
        let ip = "/usr/sbin/ip", id = ProcessInfo.processInfo.processIdentifier % 100_000, subnet = "10.77.\(id % 250)"
        guard FileManager.default.isExecutableFile(atPath: ip) else { throw XCTSkip("\(ip) is missing (Debian's iproute2): no network namespaces here") }
        let hosts = Hosts(namespaces: ["cm\(id)a", "cm\(id)b"], addresses: ["\(subnet).1", "\(subnet).2"],
                          agent: directory.appendingPathComponent("netns-agent.sh"))
        let made = try Self.run([ip, "netns", "add", hosts.namespaces[0]])
        guard made.status == 0 else { throw XCTSkip("cannot make a network namespace here (`ip netns add`: \(made.output.trimmingCharacters(in: .whitespacesAndNewlines))); the two-host test needs root") }
        let links = ["cmv\(id)a", "cmv\(id)b"]
        var steps: [[String]] = [[ip, "netns", "add", hosts.namespaces[1]], [ip, "link", "add", links[0], "type", "veth", "peer", "name", links[1]]]
        for n in 0..<2 {
            let namespace = hosts.namespaces[n]
            steps.append([ip, "link", "set", links[n], "netns", namespace])
            steps.append([ip, "-n", namespace, "addr", "add", hosts.addresses[n] + "/24", "dev", links[n]])
            steps.append([ip, "-n", namespace, "link", "set", links[n], "up"])
            steps.append([ip, "-n", namespace, "link", "set", "lo", "up"])
        }
        for step in steps {
            let result = try Self.run(step)
            guard result.status == 0 else {
                hosts.remove()
                throw XCTSkip("cannot join the namespaces (`\(step.joined(separator: " "))`: \(result.output))")
            }
        }
        let cases = (0..<2).map { "  \(hosts.addresses[$0])) namespace=\(hosts.namespaces[$0]) ;;" }.joined(separator: "\n")
        try """
            #!/bin/sh
            # Open MPI's rsh agent for the test's two hosts: run the command in the namespace of the address.
            host="$1"; shift
            case "$host" in
            \(cases)
              *) echo "netns-agent: unknown host $host" >&2; exit 1 ;;
            esac
            exec \(ip) netns exec "$namespace" sh -c "$*"

            """.write(to: hosts.agent, atomically: true, encoding: .utf8)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: hosts.agent.path)
        return hosts
    }

    func testTwoHostsOverTCPTrainTheOneProcessModel() throws {
        let data = try QuadrantData(images: 24)
        defer { data.remove() }
        let hosts = try makeHosts(in: data.directory)
        defer { hosts.remove() }
        let crossmodal = Bundle.main.executableURL!.deletingLastPathComponent().appendingPathComponent("crossmodal").path
        func train(_ out: String) -> [String] {
            [crossmodal, "train", "--data", data.url("train.jsonl").path, "--fusion", "co-attention", "--image-encoder", "small-cnn",
             "--text-encoder", "learned", "--width", "16", "--image-size", "24", "--steps", "10", "--batch-size", "8",
             "--learning-rate", "3e-3", "--eval-every", "0", "--out", data.url(out).path]
        }
        let alone = try Self.run(train("one"))
        XCTAssertEqual(alone.status, 0, alone.output)
        let subnet = hosts.addresses[0].split(separator: ".").prefix(3).joined(separator: ".") + ".0/24"
        let together = try Self.run(["/usr/sbin/ip", "netns", "exec", hosts.namespaces[0], "/usr/bin/mpirun", "--allow-run-as-root",
                                     "--host", hosts.addresses.map { $0 + ":1" }.joined(separator: ","), "-np", "2",
                                     "--mca", "plm_rsh_agent", hosts.agent.path, "--mca", "btl", "tcp,self",
                                     "--mca", "btl_tcp_if_include", subnet, "--mca", "oob_tcp_if_include", subnet] + train("two"))
        XCTAssertEqual(together.status, 0, together.output)
        let (one, two) = (MetricsLog.read(data.url("one/metrics.jsonl")), MetricsLog.read(data.url("two/metrics.jsonl")))
        XCTAssertEqual(one.count, 10)
        XCTAssertEqual(two.map(\.step), one.map(\.step))
        for (a, b) in zip(one, two) { XCTAssertEqual(b.loss, a.loss, accuracy: 1e-4 * abs(a.loss), "step \(a.step)") }
    }
}
