// A chat request of about 1 KB and a typical answer, shared by every bench case.
export const chatRequest = {
  model: 'gpt-3.5',
  temperature: 0.2,
  max_tokens: 256,
  messages: [
    { role: 'system', content: 'You are a concise assistant for a travel company. Answer in two sentences at most, and never invent prices.' },
    {
      role: 'user',
      content:
        'I am planning a four-day trip to Lisbon in early May with two children aged 7 and 10. ' +
        'We like museums, short walks and good food, but we do not want to spend hours in queues. ' +
        'Which neighbourhood should we stay in, and which three sights would you book ahead of time? ' +
        'Please also tell me whether the tram 28 is worth it with kids, or whether we should take taxis instead. ' +
        'One more thing: is the Oceanarium good for a rainy afternoon, and how long should we plan for it? ' +
        'Finally, is there a day trip that works well by train, without a car, and that children enjoy? ' +
        'We land at 9 in the morning on a Thursday and leave on Monday evening, so the first and last days are short; ' +
        'please keep that in mind when you suggest the order of the visits. Thank you very much for your kind help, we are grateful!',
    },
  ],
};

export const chatResponse = {
  id: 'chatcmpl-bench',
  object: 'chat.completion',
  created: 1700000000,
  model: 'gpt-3.5-turbo',
  choices: [
    {
      index: 0,
      finish_reason: 'stop',
      message: {
        role: 'assistant',
        content:
          'Stay in Baixa or Chiado: flat enough for children and close to trams and the river. Book the Oceanarium, ' +
          'the Belém Tower and Jerónimos Monastery ahead; tram 28 is fun once early in the morning, otherwise use taxis.',
      },
    },
  ],
  usage: { prompt_tokens: 210, completion_tokens: 60, total_tokens: 270 },
};
