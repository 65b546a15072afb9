// Drives the real Fluvio client (the Rust client v0.11.11 inside
// @fluvio/client's native addon) against a cluster and prints one JSON
// object per step on stdout. The Go test that runs it asserts the results.
//
// usage: node scenario.js SC_ADDR EXPECTED_COUNTS_JSON
//   EXPECTED_COUNTS_JSON: records per partition of "conf-three" the Go side
//   expects, used only to know when a partition has been read to its end.
'use strict'
const path = require('path')
const native = require(path.join(__dirname, 'node_modules/@fluvio/client/dist/linux/index.node'))

const addr = process.argv[2]
const expected = JSON.parse(process.argv[3] || '[0,0,0]')
const N = 10000

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

async function readN(stream, n, ms) {
    const out = []
    while (out.length < n) {
        const it = await withTimeout(stream.next(), ms)
        if (it.timeout) {
            break
        }
        if (it.done) {
            break
        }
        const r = it.value
        out.push([r.hasKey() ? r.keyString() : null, r.valueString()])
    }
    return out
}

async function errorOf(fn) {
    try {
        await fn()
        return null
    } catch (e) {
        return String(e && e.message ? e.message : e)
    }
}

async function main() {
    const fluvio = await native.connect(addr)
    const admin = await fluvio.admin()
    const replica = (n) => ({ partitions: n, replicationFactor: 1, ignoreRackAssignment: false })

    await admin.createTopic('conf-one', replica(1))
    await admin.createTopic('conf-three', replica(3))
    const found = JSON.parse(Buffer.from(await admin.findTopic('conf-three')).toString('utf8'))
    const listed = JSON.parse(Buffer.from(await admin.listTopic()).toString('utf8'))
    emit({ step: 'admin', found, listed })

    emit({
        step: 'errors',
        duplicate: await errorOf(() => admin.createTopic('conf-one', replica(1))),
        missingProducer: await errorOf(() => fluvio.topicProducer('no-such-topic')),
    })

    // 10,000 keyed records to the 3-partition topic, 100 to the 1-partition one
    const three = await fluvio.topicProducer('conf-three')
    const recs = []
    for (let i = 0; i < N; i++) {
        recs.push([`key-${i % 37}`, `value-${i}`])
    }
    for (let i = 0; i < N; i += 1000) {
        await three.sendAll(recs.slice(i, i + 1000))
    }
    await three.flush()
    const one = await fluvio.topicProducer('conf-one')
    for (let i = 0; i < 100; i++) {
        await one.send(`k${i}`, `one-${i}`)
    }
    await one.flush()
    emit({ step: 'produced' })

    // every record of every partition, from the beginning
    const partitions = []
    for (let p = 0; p < 3; p++) {
        const consumer = await fluvio.partitionConsumer('conf-three', p)
        const stream = await consumer.createStream({ index: 0, from: 'beginning' })
        partitions.push(await readN(stream, expected[p], 5000))
    }
    emit({ step: 'beginning', partitions })

    // from an offset counted from the beginning (offset 40 of conf-one)
    {
        const consumer = await fluvio.partitionConsumer('conf-one', 0)
        const stream = await consumer.createStream({ index: 40, from: 'beginning' })
        emit({ step: 'offset', records: await readN(stream, 3, 5000) })
    }

    // from the end: only records produced after the stream started
    {
        const consumer = await fluvio.partitionConsumer('conf-one', 0)
        const stream = await consumer.createStream({ index: 0, from: 'end' })
        const reading = readN(stream, 3, 10000)
        for (let i = 0; i < 3; i++) {
            await one.send(`t${i}`, `tail-${i}`)
        }
        await one.flush()
        emit({ step: 'end', records: await reading })
    }

    // two records back from the end
    {
        const consumer = await fluvio.partitionConsumer('conf-one', 0)
        const stream = await consumer.createStream({ index: 2, from: 'end' })
        emit({ step: 'fromEnd2', records: await readN(stream, 2, 5000) })
    }

    await admin.deleteTopic('conf-one')
    await admin.deleteTopic('conf-three')
    const after = JSON.parse(Buffer.from(await admin.listTopic()).toString('utf8'))
    emit({
        step: 'deleted',
        listed: after,
        missingDelete: await errorOf(() => admin.deleteTopic('conf-one')),
    })
    process.exit(0)
}

main().catch((e) => {
    emit({ step: 'fatal', error: String(e && e.stack ? e.stack : e) })
    process.exit(1)
})
