// Streams through SmartModules with the real Fluvio client (the Rust client
// v0.11.11 inside @fluvio/client's native addon) and prints one JSON object
// per case on stdout: the values it received and the error text it ended
// with. The Go test that runs it (smartmodules_test.go) creates the
// SmartModules named below in the cluster beforehand and asserts every
// record.
//
// usage: node smartmodules.js SC_ADDR SMARTMODULES_DIR [GO_FILTER_WASM]
//   GO_FILTER_WASM: the Go SDK filter example, run over the topic bad-utf8
//   that the Go side produced (a value that is not UTF-8 fails it).
'use strict'
const fs = require('fs')
const path = require('path')
const zlib = require('zlib')
const native = require(path.join(__dirname, 'node_modules/@fluvio/client/dist/linux/index.node'))

const addr = process.argv[2]
const dir = process.argv[3]
const goFilter = process.argv[4]
// SM_ONLY (comma-separated step names) runs only those cases.
const only = process.env.SM_ONLY ? process.env.SM_ONLY.split(',') : null

function emit(obj) {
    process.stdout.write(JSON.stringify(obj) + '\n')
}

function withTimeout(p, ms) {
    let t
    return Promise.race([
        p,
        new Promise((resolve) => {
            t = setTimeout(() => resolve({ timeout: true }), ms)
        }),
    ]).finally(() => clearTimeout(t))
}

function text(e) {
    return String(e && e.message ? e.message : e)
}

// readUntil collects values until the stream errors or delivers last (the
// topic's final record as the module outputs it), or waits longer than ms
// for a record.
//
// Why stop at a known last record rather than wait for quiet? A next() left
// pending after a timeout keeps a future alive in the native addon, and with
// several of them the v0.11.11 addon panics ("Ready polled after
// completion") and crashes node. Every topic therefore ends with a record
// that passes its module, so reading stops on it and proves no record was
// lost or added before it.
async function readUntil(stream, last, ms) {
    const values = []
    let error = null
    for (;;) {
        let it
        try {
            it = await withTimeout(stream.next(), ms)
        } catch (e) {
            error = text(e)
            break
        }
        if (it.timeout || it.done) {
            error = it.timeout ? `no record for ${ms} ms` : null
            break
        }
        const v = it.value.valueString()
        values.push(v)
        if (v === last) {
            break
        }
    }
    return { values, error }
}

async function run(fluvio, name, topic, last, config) {
    if (only && !only.includes(name)) {
        return
    }
    const consumer = await fluvio.partitionConsumer(topic, 0)
    let stream
    try {
        const offset = { index: 0, from: 'beginning' }
        stream = config ? await consumer.streamWithConfig(offset, config) : await consumer.createStream(offset)
    } catch (e) {
        emit({ step: name, values: [], error: text(e) })
        return
    }
    const got = await readUntil(stream, last, 10000)
    emit({ step: name, values: got.values, error: got.error })
}

async function main() {
    const fluvio = await native.connect(addr)
    const admin = await fluvio.admin()
    const replica = { partitions: 1, replicationFactor: 1, ignoreRackAssignment: false }
    const topics = {
        letters: Array.from({ length: 26 }, (_, i) => 'record-' + String.fromCharCode(97 + i)).concat(['last-a']),
        words: ['foo', 'bar', 'mixed Case', 'last'],
        numbers: Array.from({ length: 10 }, (_, i) => String(i + 1)).concat(['12']),
        fruit: ['apple', 'fruit', 'banana'],
    }
    for (const [topic, values] of Object.entries(topics)) {
        await admin.createTopic(topic, replica)
        const p = await fluvio.topicProducer(topic)
        await p.sendAll(values.map((v, i) => [`k${i}`, v]))
        await p.flush()
    }
    emit({ step: 'produced' })

    // module, kind, topic, the topic's last record as the module outputs it
    const modules = [
        ['filter-on-a', 'filter', 'letters', 'last-a'],
        ['map-uppercase', 'map', 'words', 'LAST'],
        ['filter-map-even-half', 'filter_map', 'numbers', '6'],
        ['filter-contains-a', 'filter', 'fruit', null],
        ['no-transform-export', 'filter', 'fruit', null],
    ]
    for (const [name, type, topic, last] of modules) {
        const file = path.join(dir, name + '.wasm')
        const data = zlib.gzipSync(fs.readFileSync(file)).toString('base64')
        await run(fluvio, `${name}/file`, topic, last, { smartmoduleType: type, smartmoduleFile: file })
        await run(fluvio, `${name}/data`, topic, last, { smartmoduleType: type, smartmoduleData: data })
        await run(fluvio, `${name}/name`, topic, last, { smartmoduleType: type, smartmoduleName: name })
    }
    await run(fluvio, 'unknown/name', 'fruit', null, { smartmoduleType: 'filter', smartmoduleName: 'no-such-module' })
    if (goFilter) {
        await run(fluvio, 'go-filter/file', 'bad-utf8', null, { smartmoduleType: 'filter', smartmoduleFile: goFilter })
    }
    await run(fluvio, 'plain', 'fruit', 'banana', null)
    process.exit(0)
}

main().catch((e) => {
    emit({ step: 'fatal', error: String(e && e.stack ? e.stack : e) })
    process.exit(1)
})
