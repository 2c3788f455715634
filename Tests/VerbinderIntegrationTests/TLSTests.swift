import Foundation
import Testing

/// The daemon speaks TLS when given a certificate; `openssl s_client` and `verbinder --tls` are the clients.
@Suite("TLS")
struct TLSTests {
    @Test func opensslClientTalksToTheDaemonOverTLS() throws {
        let directory = NSTemporaryDirectory() + "verbinder-tls-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let certificate = directory + "/cert.pem", key = directory + "/key.pem"
        // The certificate names the host the clients connect to: localhost and 127.0.0.1.
        let make = try ChildProcess(["/usr/bin/env", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                     "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
                                     "-keyout", key, "-out", certificate])
        #expect(try make.wait() == 0, "\(make.output)")

        let conninfo = try SharedCluster.freshDatabase("tls")
        #expect(try runVerbinderd(["seed", "--database-url", conninfo]).0 == 0)
        let daemon = try Daemon(conninfo: conninfo, extraArguments: ["--tls-cert", certificate, "--tls-key", key])
        let input = directory + "/input.txt"
        try "PING\nFIND sudwest\nQUIT\n".write(toFile: input, atomically: true, encoding: .utf8)
        let client = try ChildProcess(["/bin/sh", "-c",
            "openssl s_client -quiet -verify_quiet -CAfile \(certificate) -connect 127.0.0.1:\(daemon.port) < \(input)"])
        #expect(try client.wait(timeout: 30) == 0, "\(client.output)")
        let lines = client.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.hasPrefix("OK verbinder") })
        #expect(lines.contains("OK pong"))
        #expect(lines.contains { $0.contains("key=GM1900") })
        #expect(lines.contains("OK bye"))
        // The verbinder client over TLS, trusting the test certificate.
        let oneShot = try ChildProcess([Paths.verbinder, "--tls", "--port", "\(daemon.port)", "SHOW", "Súdwest-Fryslân"],
                                       environment: ["VERBINDER_TLS_CA": certificate])
        #expect(try oneShot.wait() == 0, "\(oneShot.output)")
        #expect(oneShot.output.contains("key=GM1900"))
        // Without trusting it, the certificate is refused and nothing is sent (exit 2).
        let untrusted = try ChildProcess([Paths.verbinder, "--tls", "--port", "\(daemon.port)", "PING"],
                                         environment: ["VERBINDER_TLS_CA": "", "SSL_CERT_FILE": "/dev/null"])
        #expect(try untrusted.wait() == 2, "\(untrusted.output)")
        #expect(untrusted.output.contains("TLS"), "\(untrusted.output)")
        // By name, too; and pipelined through the tunnel.
        let byName = try ChildProcess(["/bin/sh", "-c", "printf 'PING\\nFIND sudwest\\nPING\\n' | \(Paths.verbinder) --tls --host localhost --port \(daemon.port) -f -"],
                                      environment: ["VERBINDER_TLS_CA": certificate])
        #expect(try byName.wait() == 0, "\(byName.output)")
        #expect(byName.output.contains("key=GM1900"), "\(byName.output)")
        // A trusted certificate for another host is refused: the client checks whose it is.
        let other = directory + "/other.pem", otherKey = directory + "/other-key.pem"
        let makeOther = try ChildProcess(["/usr/bin/env", "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                                          "-subj", "/CN=verbinder.example.nl", "-addext", "subjectAltName=DNS:verbinder.example.nl",
                                          "-keyout", otherKey, "-out", other])
        #expect(try makeOther.wait() == 0, "\(makeOther.output)")
        let wrongHost = try Daemon(conninfo: conninfo, extraArguments: ["--tls-cert", other, "--tls-key", otherKey])
        let misnamed = try ChildProcess([Paths.verbinder, "--tls", "--port", "\(wrongHost.port)", "PING"],
                                        environment: ["VERBINDER_TLS_CA": other])
        #expect(try misnamed.wait() == 2, "\(misnamed.output)")
        #expect(try wrongHost.stop() == 0)
        // Plain TCP gets no answer it could read as the protocol.
        let plain = try LineClient(port: daemon.port, timeout: 2)
        try plain.send("PING\n")
        #expect((try? plain.readLine())?.hasPrefix("OK") != true)
        #expect(try daemon.stop() == 0)
    }
}
