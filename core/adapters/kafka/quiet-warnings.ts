// kafkajs 2.2.4 schedules a negative timeout on Node >= 24 (tulios/kafkajs#1751): harmless, and
// unfixed upstream, so that one warning is dropped and every other warning still prints.
const nodeWarn = process.listeners('warning');
process.removeAllListeners('warning');
process.on('warning', (w) => {
  if (w.name !== 'TimeoutNegativeWarning') for (const l of nodeWarn) l(w);
});
