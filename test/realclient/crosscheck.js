// The real Fluvio client on the profile of ~/.fluvio/config (HOME decides
// which), for the CLI cross-checks: what `fluvio produce` wrote the real
// client reads, and what the real client writes `fluvio consume` prints.
//
// usage: node crosscheck.js read TOPIC COUNT   prints the records as JSON
//        node crosscheck.js write TOPIC V...  produces one record per V
'use strict'
const path = require('path')
const native = require(path.join(__dirname, 'node_modules/@fluvio/client/dist/linux/index.node'))

async function main() {
    const [mode, topic, ...rest] = process.argv.slice(2)
    const fluvio = await native.connect() // the current profile
    if (mode === 'read') {
        const want = Number(rest[0])
        const consumer = await fluvio.partitionConsumer(topic, 0)
        const stream = await consumer.createStream({ index: 0, from: 'beginning' })
        const out = []
        while (out.length < want) {
            const it = await stream.next()
            if (it.done) {
                break
            }
            out.push(it.value.valueString())
        }
        process.stdout.write(JSON.stringify(out) + '\n')
    } else if (mode === 'write') {
        const producer = await fluvio.topicProducer(topic)
        for (const v of rest) {
            await producer.send('', v)
        }
        await producer.flush()
    } else {
        throw new Error('unknown mode ' + mode)
    }
    process.exit(0)
}

main().catch((e) => {
    process.stderr.write(String(e && e.stack ? e.stack : e) + '\n')
    process.exit(1)
})
