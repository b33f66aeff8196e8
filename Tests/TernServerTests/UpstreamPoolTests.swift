import Foundation
import Testing

@testable import TernServer

@Suite struct UpstreamPoolTests {
    static func upstream(_ host: String, weight: Int = 1) -> Upstream {
        Upstream(id: "m", baseURL: URL(string: "http://\(host):8080/v1")!, model: "m", weight: weight)
    }

    @Test func idleDeploymentsTakeTurnsAndBusyOnesWait() throws {
        let pool = UpstreamPool([Self.upstream("a"), Self.upstream("b")], checking: false)
        let first = try #require(pool.take("m", excluding: []))
        pool.finished(first)
        let second = try #require(pool.take("m", excluding: []))
        #expect(first.index != second.index, "an idle pool alternates")
        // While `second` is outstanding, the other one is less loaded.
        let third = try #require(pool.take("m", excluding: []))
        #expect(third.index == first.index)
        #expect(pool.take("nope", excluding: []) == nil)
    }

    @Test func weightsShareOutstandingRequests() throws {
        let pool = UpstreamPool([Self.upstream("a", weight: 3), Self.upstream("b")], checking: false)
        let taken = (0..<8).compactMap { _ in pool.take("m", excluding: []) }
        #expect(taken.filter { $0.index == 0 }.count == 6)
        #expect(taken.filter { $0.index == 1 }.count == 2)
    }

    @Test func aFailedDeploymentIsPassedOverUntilNoOtherIsLeft() throws {
        let pool = UpstreamPool([Self.upstream("a"), Self.upstream("b")], checking: false)
        let failing = try #require(pool.take("m", excluding: []))
        pool.finished(failing, failed: true)
        for _ in 0..<4 {
            let next = try #require(pool.take("m", excluding: []))
            #expect(next.index != failing.index)
            pool.finished(next)
        }
        // Once the others were tried, the cooled-down one is tried rather than nothing.
        let other = 1 - failing.index
        #expect(pool.take("m", excluding: [other])?.index == failing.index)
        #expect(pool.take("m", excluding: [0, 1]) == nil)
    }
}
