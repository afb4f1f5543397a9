import CoreMetrics
import Foundation
import MQTT
import Spool
import SpringCore

/// What the daemon and the simulator count, through swift-metrics: no-ops until a backend is
/// bootstrapped (`--metrics`, `MetricsEndpoint`). Counters are made once, so counting an
/// event costs a call, not a lookup.
package enum GatewayMetrics {
    static let eventsRead = Counter(label: "smartreader_events_read_total")
    static let eventsPublished = Counter(label: "smartreader_events_published_total")
    static let eventsAcknowledged = Counter(label: "smartreader_events_acknowledged_total")
    static let eventsRefused = Counter(label: "smartreader_events_refused_by_broker_total")
    static let connectedDevices = Meter(label: "smartreader_connected_devices")
    static let connects = Counter(label: "smartreader_connects_total")

    /// Connection losses and failed attempts, by kind: TLS handshakes, refusals, timeouts...
    static func connectionError(_ error: any Error) {
        Counter(label: "smartreader_connection_errors_total", dimensions: [("kind", kind(of: error))]).increment()
    }

    /// The spool of one device: depth and refused events held now and, since the spool was
    /// made, events dropped, expired, refused, refused ones dropped over the limit and discarded.
    static func spool(device: String, _ report: SpoolReport) {
        let dimensions = [("device", device)]
        Gauge(label: "smartreader_spool_depth", dimensions: dimensions).record(report.depth)
        Gauge(label: "smartreader_spool_refused_held", dimensions: dimensions).record(report.refused)
        Gauge(label: "smartreader_spool_dropped", dimensions: dimensions).record(report.losses.dropped)
        Gauge(label: "smartreader_spool_expired", dimensions: dimensions).record(report.losses.expired)
        Gauge(label: "smartreader_spool_refused", dimensions: dimensions).record(report.losses.refused)
        Gauge(label: "smartreader_spool_refused_dropped", dimensions: dimensions).record(report.losses.refusedDropped)
        Gauge(label: "smartreader_spool_discarded", dimensions: dimensions).record(report.losses.discarded)
    }

    /// A command on `rdr/cmd`, applied or refused, and what the reader's outputs were told: the
    /// last sequence, the LED bytes as one number, the last beep, and the relays.
    static func readerCommand(device: String, _ indicators: ReaderIndicators, refused: Bool, at now: Date) {
        Counter(label: "smartreader_reader_commands_total", dimensions: [("device", device), ("result", refused ? "refused" : "applied")])
            .increment()
        let dimensions = [("device", device)]
        if let sequence = indicators.lastSequence.flatMap({ Int($0, radix: 16) }) {
            Gauge(label: "smartreader_reader_last_sequence", dimensions: dimensions).record(sequence)
        }
        if let leds = indicators.leds.flatMap({ Int($0, radix: 16) }) {
            Gauge(label: "smartreader_reader_leds", dimensions: dimensions).record(leds)
        }
        if let buzzer = indicators.lastBuzzerMilliseconds {
            Gauge(label: "smartreader_reader_last_buzzer_ms", dimensions: dimensions).record(buzzer)
        }
        relays(device: device, indicators, at: now)
    }

    /// 1 for each relay on at `now`, 0 for each off: recorded again when a timed one ends.
    static func relays(device: String, _ indicators: ReaderIndicators, at now: Date) {
        for (index, relay) in indicators.relays.enumerated() {
            Gauge(label: "smartreader_reader_relay_on", dimensions: [("device", device), ("relay", "\(index + 1)")])
                .record(relay.isOn(at: now) ? 1 : 0)
        }
    }

    /// A short name for an error's kind: the case of an MQTT connection error, else its type.
    package static func kind(of error: any Error) -> String {
        (error as? MQTTConnectionError)?.kind ?? String(describing: type(of: error))
    }
}
